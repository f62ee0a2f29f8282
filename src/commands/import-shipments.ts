/**
 * `import-shipments <file.csv>` (SPEC §5.4): bulk shipments from a warehouse export. Columns (header names
 * matched leniently): order_number, line_ref | part_number | sku, quantity, carrier, tracking_number,
 * tracking_url, dispatch_date, and ◇ an optional delivery_date. Rows of one order with the same carrier and
 * tracking number are one shipment. Every row is checked like `orders ship --line`, counting the rows
 * before it; a bad row is reported with its file, line, column and reason and the good rows are recorded.
 *
 * ◇ Shipments are recorded for ONE account (`--account`, or the only enabled one): order numbers are
 * looked up there, and the step's lock and run-log row are that account's.
 * Exit codes: 2 when the file cannot be read or several accounts are enabled without --account; 1 when any
 * row (or the header) was refused; 0 when every row was recorded.
 */
import { readFile } from 'node:fs/promises';
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError, errorMessage } from '../core/errors.js';
import {
  isBusinessDate,
  planShipment,
  shipmentOverrides,
  shipmentRefusal,
  withRecorded,
  type OrderState,
  type PlannedLine,
} from '../core/order-rules.js';
import { runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { Repository } from '../db/repository.js';
import type { Order, OrderLine } from '../db/repo/orders.js';
import {
  decodeText,
  ignoredColumnsWarning,
  isBlankRecord,
  parseDelimitedText,
  type ParsedRecord,
} from '../formats/delimited.js';
import { londonDate } from '../formats/file-name-token.js';
import { normaliseColumnName } from '../formats/two-section.js';
import { personAnswering, rejectOverriddenRequests } from './cancel-requests.js';
import { TRACKING_URL_EXPECTED, isTrackingUrl, shipmentDetails } from './orders-ship.js';
import { lineIds, orderState, recordedUpdate, type RecordedUpdate, type UpdateDetails } from './record-update.js';

type Field =
  | 'order_number'
  | 'line_ref'
  | 'part_number'
  | 'sku'
  | 'quantity'
  | 'carrier'
  | 'tracking_number'
  | 'tracking_url'
  | 'dispatch_date'
  | 'delivery_date';

/** ◇ Header names accepted per field, compared without case, spaces, hyphens or underscores. */
const FIELD_NAMES: Record<Field, string[]> = {
  order_number: ['order_number', 'order_no', 'order'],
  line_ref: ['line_ref', 'line', 'line_no', 'line_number'],
  part_number: ['part_number', 'stock_number', 'channel_item_id'],
  sku: ['sku', 'seller_sku', 'product_code'],
  quantity: ['quantity', 'qty', 'units', 'quantity_shipped', 'shipped_quantity'],
  carrier: ['carrier', 'carrier_code', 'carrier_name', 'courier'],
  tracking_number: ['tracking_number', 'tracking', 'tracking_no', 'tracking_ref'],
  tracking_url: ['tracking_url', 'tracking_link', 'url'],
  dispatch_date: ['dispatch_date', 'dispatched', 'dispatched_on', 'ship_date', 'shipped_date', 'date'],
  delivery_date: ['delivery_date', 'expected_delivery_date'],
};
const REQUIRED: Field[] = ['order_number', 'quantity', 'carrier', 'tracking_number'];
/** The columns that may name the line, in the order they are tried on a row. */
const LINE_FIELDS = ['line_ref', 'part_number', 'sku'] as const;
type LineField = (typeof LINE_FIELDS)[number];

const headerKey = (name: string): string => normaliseColumnName(name).replace(/_/g, '');

/** A row whose fields passed the checks that need no order. */
interface ShipmentRow {
  line: number;
  orderNumber: string;
  lineBy: { field: LineField; value: string };
  quantity: number;
  details: UpdateDetails;
}

/** One shipment being built from the good rows of an order with the same carrier and tracking number. */
interface ShipmentGroup {
  details: UpdateDetails;
  /** The row that fixed the shipment's dates and URL, named when a later row disagrees. */
  firstRow: number;
  rows: number[];
  lines: PlannedLine[];
}

export type ImportedShipment = RecordedUpdate & { rows: number[] };

export interface ImportShipmentsOptions {
  /** `--strict`: the whole file in one transaction, rolled back when any row is refused. */
  strict?: boolean;
  /** Ship units under open customer cancellation requests, closing them as rejected (SPEC §4.8). */
  force?: boolean;
}

export async function importShipments(
  ctx: Context,
  file: string,
  stdin: () => Promise<Buffer>,
  options: ImportShipmentsOptions = {},
): Promise<StepResult> {
  const data = await readInput(file, stdin);
  const accounts = await ctx.selectAccounts();
  if (accounts.length > 1) {
    throw new UsageError(
      `import-shipments records shipments for one account: choose one with --account (enabled: ${accounts.map((a) => a.name).join(', ')})`,
    );
  }
  const label = file === '-' ? 'stdin' : file;
  return runStep(
    ctx,
    'import-shipments',
    ({ account }) =>
      options.strict
        ? importStrictly(ctx, account, label, data, options.force === true)
        : importShipmentFile(ctx, account, label, data, options.force === true),
    { transport: false },
  );
}

/** `--strict`: the whole file in one transaction, rolled back when any row is refused. */
async function importStrictly(
  ctx: Context,
  account: Account,
  label: string,
  data: Buffer,
  force: boolean,
): Promise<AccountWork> {
  let work: AccountWork | undefined;
  await ctx.repo
    .transaction(async (repo) => {
      work = await importShipmentFile({ ...ctx, repo }, account, label, data, force);
      if (work.errors.length > 0) throw new StrictRollBack();
    })
    .catch((err: unknown) => {
      if (!(err instanceof StrictRollBack)) throw err;
    });
  if (work!.errors.length === 0) return work!;
  return {
    counts: { ...work!.counts, recorded: 0, shipments: 0 },
    errors: [
      ...work!.errors,
      { file: label, message: '--strict: nothing was recorded because the file has rejected rows' },
    ],
    details: { recorded_shipments: [] },
  };
}

class StrictRollBack extends Error {}

/**
 * One shipments file, recorded through `ctx.repo`. An inbox file (`import-shipments --from`) never forces:
 * a warehouse export cannot overrule a customer's cancellation request, a person can (`--force`).
 */
export function importShipmentFile(
  ctx: Context,
  account: Account,
  name: string,
  data: Buffer,
  force = false,
): Promise<AccountWork> {
  return new ShipmentImport(ctx, account, name, force).run(data);
}

async function readInput(file: string, stdin: () => Promise<Buffer>): Promise<Buffer> {
  if (file === '-') return stdin();
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${errorMessage(err)}`);
  }
}

class ShipmentImport {
  private readonly errors: ItemError[] = [];
  private readonly failedRows = new Set<number>();
  private readonly shipments: ImportedShipment[] = [];
  private rows = 0;
  private columns = new Map<Field, { position: number; name: string }>();

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly file: string,
    private readonly force: boolean,
  ) {}

  async run(data: Buffer): Promise<AccountWork> {
    const rows = this.readRows(data);
    const byOrder = new Map<string, ShipmentRow[]>();
    for (const row of rows) byOrder.set(row.orderNumber, [...(byOrder.get(row.orderNumber) ?? []), row]);
    for (const [orderNumber, orderRows] of byOrder) await this.recordOrder(orderNumber, orderRows);
    const recordedRows = this.shipments.reduce((sum, shipment) => sum + shipment.rows.length, 0);
    return {
      counts: {
        rows: this.rows,
        recorded: recordedRows,
        failed: this.failedRows.size,
        shipments: this.shipments.length,
      },
      errors: this.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
      details: { recorded_shipments: this.shipments },
    };
  }

  private fail(line: number, field: Field | null, message: string, order?: string): void {
    this.failedRows.add(line);
    const column = field === null ? undefined : (this.columns.get(field)?.name ?? field);
    this.errors.push({ file: this.file, line, column, message, ...(order ? { order } : {}) });
  }

  /** Decodes and tokenises the file, maps the header, and returns the rows that passed the order-free checks. */
  private readRows(data: Buffer): ShipmentRow[] {
    const decoded = decodeText(data);
    if ('error' in decoded) {
      this.errors.push({ file: this.file, message: decoded.error });
      return [];
    }
    const parsed = parseDelimitedText(decoded.text);
    for (const problem of parsed.problems) this.fail(problem.line, null, problem.message.replace(/^line \d+: /, ''));
    const [header, ...records] = parsed.records;
    if (header === undefined || isBlankRecord(header)) {
      this.errors.push({
        file: this.file,
        line: 1,
        message: 'the file is empty: expected a header line naming the columns',
      });
      return [];
    }
    if (!this.mapHeader(header)) return [];
    const rows: ShipmentRow[] = [];
    for (const record of records) {
      if (isBlankRecord(record)) continue;
      this.rows++;
      const row = this.checkRow(record, header.fields.length);
      if (row) rows.push(row);
    }
    return rows;
  }

  private mapHeader(header: ParsedRecord): boolean {
    const ignored: string[] = [];
    header.fields.forEach((name, position) => {
      const key = headerKey(name);
      const field = (Object.keys(FIELD_NAMES) as Field[]).find((f) =>
        FIELD_NAMES[f].some((alias) => headerKey(alias) === key),
      );
      if (field === undefined) ignored.push(name.trim());
      else if (!this.columns.has(field)) this.columns.set(field, { position, name: name.trim() });
    });
    if (ignored.length > 0) {
      const known = Object.values(FIELD_NAMES).flat().join(', ');
      this.ctx.logger.warn(
        { step: 'import-shipments', account: this.account.name },
        ignoredColumnsWarning(this.file, ignored, known),
      );
    }
    const missing = REQUIRED.filter((field) => !this.columns.has(field));
    for (const field of missing) {
      this.errors.push({
        file: this.file,
        line: header.line,
        column: field,
        message: `missing column ${field} (also accepted: ${FIELD_NAMES[field].slice(1).join(', ')})`,
      });
    }
    if (!LINE_FIELDS.some((field) => this.columns.has(field))) {
      this.errors.push({
        file: this.file,
        line: header.line,
        column: 'line_ref',
        message: 'missing a column naming the line: line_ref, part_number or sku',
      });
      return false;
    }
    return missing.length === 0;
  }

  /** The checks a row needs no order for; every problem of the row is reported. */
  private checkRow(record: ParsedRecord, headerWidth: number): ShipmentRow | null {
    const { line, fields } = record;
    if (fields.length < headerWidth || fields.slice(headerWidth).some((field) => field.trim() !== '')) {
      this.fail(line, null, `${fields.length} fields, the header has ${headerWidth}`);
      return null;
    }
    const value = (field: Field): string => {
      const column = this.columns.get(field);
      return column === undefined ? '' : fields[column.position].trim();
    };
    const before = this.errors.length;
    const orderNumber = value('order_number');
    if (orderNumber === '') this.fail(line, 'order_number', 'the order number is empty');
    const lineField = LINE_FIELDS.find((field) => value(field) !== '');
    if (lineField === undefined) {
      const present = LINE_FIELDS.filter((field) => this.columns.has(field));
      this.fail(line, present[0], `no line named: fill in ${present.join(' or ')}`);
    }
    const quantityText = value('quantity');
    if (!/^\d+$/.test(quantityText) || Number(quantityText) < 1) {
      this.fail(line, 'quantity', `${JSON.stringify(quantityText)} is not a whole number of units, at least 1`);
    }
    const trackingNumber = value('tracking_number');
    if (trackingNumber === '') this.fail(line, 'tracking_number', 'the tracking number is empty');
    const trackingUrl = value('tracking_url');
    if (trackingUrl !== '' && !isTrackingUrl(trackingUrl))
      this.fail(line, 'tracking_url', `${JSON.stringify(trackingUrl)}: ${TRACKING_URL_EXPECTED}`);
    const dispatchDate = value('dispatch_date') || londonDate(this.ctx.clock.now());
    if (!isBusinessDate(dispatchDate))
      this.fail(line, 'dispatch_date', `${JSON.stringify(dispatchDate)} is not a date as yyyy-mm-dd`);
    const deliveryDate = value('delivery_date');
    if (deliveryDate !== '' && !isBusinessDate(deliveryDate))
      this.fail(line, 'delivery_date', `${JSON.stringify(deliveryDate)} is not a date as yyyy-mm-dd`);
    if (this.errors.length > before) {
      // The carrier is checked only on an otherwise sound row, so one row never reports a chain of problems.
      return null;
    }
    const details = shipmentDetails(this.account, {
      carrier: value('carrier'),
      trackingNumber,
      trackingUrl: trackingUrl || null,
      dispatchDate,
      deliveryDate: deliveryDate || null,
    });
    if ('problem' in details) {
      this.fail(line, details.problem.field, details.problem.message);
      return null;
    }
    return {
      line,
      orderNumber,
      lineBy: { field: lineField!, value: value(lineField!) },
      quantity: Number(quantityText),
      details,
    };
  }

  /** Checks an order's rows one after another against the order (and each other) and records the good ones. */
  private async recordOrder(orderNumber: string, rows: ShipmentRow[]): Promise<void> {
    const { repo } = this.ctx;
    const [found] = await repo.orders.list({ accountId: this.account.id, orderNumber }, repo.batchSize);
    if (found === undefined) {
      for (const row of rows)
        this.fail(row.line, 'order_number', `no order ${orderNumber} in account ${this.account.name}`, orderNumber);
      return;
    }
    const record = async (txRepo: Repository, order: Order): Promise<ImportedShipment[]> => {
      const { groups, overridden } = this.groupRows(order, await orderState(txRepo, order), rows);
      const shipments: ImportedShipment[] = [];
      for (const group of groups) {
        const updateId = this.ctx.options.dryRun
          ? null
          : await txRepo.orderUpdates.insert({
              ...group.details,
              kind: 'shipment',
              orderId: order.id,
              lines: lineIds(order, group.lines),
              now: isoNow(this.ctx.clock),
            });
        shipments.push({
          ...recordedUpdate(this.account, order, 'shipment', updateId, group.lines, group.details),
          rows: group.rows,
        });
      }
      if (!this.ctx.options.dryRun)
        await rejectOverriddenRequests(
          txRepo,
          order,
          overridden,
          `${personAnswering(this.ctx)} (import-shipments --force)`,
          isoNow(this.ctx.clock),
        );
      return shipments;
    };
    const shipments = this.ctx.options.dryRun
      ? await record(repo, found)
      : await repo.transaction(async (txRepo) => {
          // Locked first, then read again: the checks see every update stored before this one.
          await txRepo.orderUpdates.lockOrder(found.id, isoNow(this.ctx.clock));
          const [order] = await txRepo.orders.list({ accountId: this.account.id, orderNumber }, txRepo.batchSize);
          return record(txRepo, order);
        });
    this.shipments.push(...shipments);
  }

  /**
   * The order's good rows as shipments, one per carrier and tracking number; refused rows are reported.
   * `overridden`: the lines whose units under a customer cancellation request ship by --force.
   */
  private groupRows(
    order: Order,
    initial: OrderState,
    rows: ShipmentRow[],
  ): { groups: ShipmentGroup[]; overridden: PlannedLine[] } {
    const overridden: PlannedLine[] = [];
    const notShippable = shipmentRefusal(initial);
    if (notShippable) {
      for (const row of rows) this.fail(row.line, 'order_number', notShippable.message, order.orderNumber);
      return { groups: [], overridden };
    }
    let state = initial;
    const groups = new Map<string, ShipmentGroup>();
    for (const row of rows) {
      const orderLine = this.findLine(order, row);
      if (orderLine === null) continue;
      const key = `${row.details.carrier}\u0000${row.details.trackingNumber}`;
      const group = groups.get(key);
      if (group && this.disagrees(group, row, order.orderNumber)) continue;
      const plan = planShipment(state, [{ lineRef: orderLine.lineRef, quantity: row.quantity }], {
        force: this.force,
        forceOption: 'import-shipments --force',
      });
      if (plan.refusals.length > 0) {
        this.fail(row.line, 'quantity', plan.refusals.map((r) => r.message).join('; '), order.orderNumber);
        continue;
      }
      overridden.push(...shipmentOverrides(state, plan.lines));
      state = withRecorded(state, 'shipment', plan.lines);
      const target = group ?? { details: row.details, firstRow: row.line, rows: [], lines: [] };
      groups.set(key, target);
      target.rows.push(row.line);
      for (const planned of plan.lines) {
        const existing = target.lines.find((l) => l.lineRef === planned.lineRef);
        if (existing) existing.quantity += planned.quantity;
        else target.lines.push({ ...planned });
      }
    }
    return { groups: [...groups.values()], overridden };
  }

  private findLine(order: Order, row: ShipmentRow): OrderLine | null {
    const { field, value } = row.lineBy;
    const matches = order.lines.filter(
      (line) => (field === 'line_ref' ? line.lineRef : field === 'part_number' ? line.partNumber : line.sku) === value,
    );
    if (matches.length === 1) return matches[0];
    const lines = order.lines
      .map((line) => `${line.lineRef} (part number ${line.partNumber}${line.sku ? `, sku ${line.sku}` : ''})`)
      .join(', ');
    this.fail(
      row.line,
      field,
      matches.length === 0
        ? `order ${order.orderNumber} has no line with ${field} ${JSON.stringify(value)} (its lines: ${lines})`
        : `${field} ${JSON.stringify(value)} is on lines ${matches.map((m) => m.lineRef).join(' and ')} of order ${order.orderNumber}: name the line with line_ref`,
      order.orderNumber,
    );
    return null;
  }

  /** A row of an existing shipment must agree with its dates and URL: one shipment has one of each. */
  private disagrees(group: ShipmentGroup, row: ShipmentRow, orderNumber: string): boolean {
    const checks: [Field, string | null | undefined, string | null | undefined][] = [
      ['dispatch_date', group.details.dispatchDate, row.details.dispatchDate],
      ['delivery_date', group.details.deliveryDate, row.details.deliveryDate],
      ['tracking_url', group.details.trackingUrl, row.details.trackingUrl],
    ];
    const conflict = checks.find(([, shipment, given]) => shipment !== given);
    if (!conflict) return false;
    const [field, shipment, given] = conflict;
    this.fail(
      row.line,
      field,
      `${field} ${JSON.stringify(given ?? '')} differs from ${JSON.stringify(shipment ?? '')} on line ${group.firstRow} for the same shipment (${row.details.carrier} ${row.details.trackingNumber})`,
      orderNumber,
    );
    return true;
  }
}
