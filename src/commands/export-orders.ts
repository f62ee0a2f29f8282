/**
 * `export-orders [--destination N] [--format csv|jsonl]` (SPEC §5.8, a cron step): every acknowledged order
 * not yet sent to a destination goes there in one file per run, one row per order line; a cancellation
 * recorded after an order went out follows it as its own file, so the warehouse does not ship it.
 *
 * Exactly once per destination, in three steps: the file is rendered and stored under its final name in
 * the transaction that claims its orders; then written (temp name, on disk, renamed into place, so a
 * reader never sees half a file); then marked written. A run that stops anywhere in between leaves a
 * pending file that the next run writes again under the same name with the same bytes; the claimed
 * orders are never put in a second file.
 */
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import { faultCrash } from '../core/fault-injection.js';
import { runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type {
  CancellationLine,
  Destination,
  DestinationFile,
  WarehouseCancellationLine,
} from '../db/repo/destinations.js';
import type { Order } from '../db/repo/orders.js';
import type { Repository } from '../db/repository.js';
import { fileNameToken } from '../formats/file-name-token.js';
import { supplierRef } from '../formats/supplier-ref.js';
import {
  CANCELLATION_EXPORT_COLUMNS,
  ORDER_EXPORT_COLUMNS,
  exportFileName,
  orderExportRows,
  renderExport,
  type CancellationExportRow,
  type ExportFormat,
} from '../formats/warehouse-export.js';
import { openDestinationTransport } from '../transport/open.js';
import { joinRemote, type Transport } from '../transport/transport.js';
import { requireDestination } from './destinations.js';

export const EXPORT_STEP = 'export-orders';

export interface ExportOrdersOptions {
  destination?: string;
  format: ExportFormat;
}

/** A file this run stored (or, in a dry run, would store). */
export interface ExportedFile {
  destination: string;
  file_name: string;
  kind: DestinationFile['kind'];
  orders: string[];
  rows: number;
  /** The bytes as text: shown by --dry-run. */
  content: string;
}

interface RenderedFile {
  kind: DestinationFile['kind'];
  fileName: string;
  content: Buffer;
  rowCount: number;
  orderNumbers: string[];
  orderIds: number[];
  cancellations: { updateId: number; orderId: number }[];
  requests: { orderId: number; key: string }[];
}

export async function exportOrders(ctx: Context, options: ExportOrdersOptions): Promise<StepResult> {
  const named = options.destination ? await requireDestination(ctx, options.destination) : null;
  return runStep(
    ctx,
    EXPORT_STEP,
    async ({ account, deadline }) => {
      const destinations = named
        ? [named].filter((d) => d.accountId === null || d.accountId === account.id)
        : await ctx.repo.destinations.forAccount(account.id);
      const work = new AccountExport(ctx, account, options.format, deadline);
      for (const destination of destinations) await work.exportTo(destination);
      return work.result();
    },
    { transport: false },
  );
}

class AccountExport {
  private readonly counts = { orders: 0, cancellations: 0, cancel_requests: 0, files_written: 0, files_waiting: 0 };
  private readonly errors: ItemError[] = [];
  private readonly files: ExportedFile[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly format: ExportFormat,
    private readonly deadline: number,
  ) {}

  result(): AccountWork {
    return { counts: { ...this.counts }, errors: this.errors, details: { files: this.files } };
  }

  async exportTo(destination: Destination): Promise<void> {
    const { repo } = this.ctx;
    const dryRun = this.ctx.options.dryRun;
    const record = async (txRepo: Repository): Promise<void> => {
      // One after the other: the orders stored first are those whose requests the second file may carry.
      for (const render of [this.renderOrders, this.renderCancellations]) {
        const file = await render.call(this, txRepo, destination);
        if (file === null) continue;
        if (!dryRun) {
          await txRepo.destinations.insertFile(
            { destinationId: destination.id, accountId: this.account.id, ...file, now: isoNow(this.ctx.clock) },
            txRepo.batchSize,
          );
        }
        this.files.push({
          destination: destination.name,
          file_name: file.fileName,
          kind: file.kind,
          orders: file.orderNumbers,
          rows: file.rowCount,
          content: file.content.toString('utf8'),
        });
        if (file.kind === 'orders') this.counts.orders += file.orderIds.length;
        else {
          this.counts.cancellations += file.cancellations.length;
          this.counts.cancel_requests += file.requests.length;
        }
      }
    };
    if (dryRun) {
      await record(repo);
      return;
    }
    await repo.transaction(record);
    faultCrash('export-after-record', this.ctx.env);
    await this.writePending(destination);
  }

  private async renderOrders(repo: Repository, destination: Destination): Promise<RenderedFile | null> {
    const candidates = await repo.destinations.exportableOrders(destination.id, this.account.id, repo.batchSize);
    if (candidates.length === 0) return null;
    const cancellations = await repo.destinations.cancellationsOf(
      candidates.map((order) => order.id),
      repo.batchSize,
    );
    const exported: Order[] = [];
    const rows = candidates.flatMap((order) => {
      const orderRows = orderExportRows({
        account: this.account.name,
        orderNumber: order.orderNumber,
        supplierRef: supplierRef(order.id),
        orderDate: order.orderDate,
        fields: order.fields,
        lines: order.lines.map((line) => ({
          ...line,
          quantityToSend: line.quantity - cancelledUnits(cancellations, order.id, line.lineRef),
        })),
      });
      // An order whose every unit was cancelled before it went out is not the warehouse's business.
      if (orderRows.length > 0) exported.push(order);
      return orderRows;
    });
    if (exported.length === 0) return null;
    const exportedIds = new Set(exported.map((order) => order.id));
    const fileName = await this.nextFileName(repo, destination, 'orders');
    return {
      kind: 'orders',
      fileName,
      content: renderExport(ORDER_EXPORT_COLUMNS, rows, this.format),
      rowCount: rows.length,
      orderNumbers: exported.map((order) => order.orderNumber),
      orderIds: [...exportedIds],
      // Cancellations already taken off the quantities above must never be sent as a cancellation too.
      cancellations: uniqueUpdates(cancellations.filter((c) => exportedIds.has(c.orderId))),
      requests: [],
    };
  }

  /**
   * Cancellations recorded after an order went out, and the customer's cancellation requests: `requested`
   * (hold the units) and `request_rejected` (ship them after all). Cancellations first, then requests, each
   * in the order it happened.
   */
  private async renderCancellations(repo: Repository, destination: Destination): Promise<RenderedFile | null> {
    const lines = await repo.destinations.cancellationsToSend(destination.id, this.account.id);
    const notices = await repo.destinations.requestNoticesToSend(destination.id, this.account.id);
    if (lines.length === 0 && notices.length === 0) return null;
    const rows: CancellationExportRow[] = [
      ...lines.map((line) => ({
        ...this.cancellationRow(line),
        reason: line.reason ?? '',
        cancelled_at: line.createdAt,
        status: 'cancelled',
      })),
      ...notices.map((notice) => ({
        ...this.cancellationRow(notice),
        reason: notice.reason ?? '',
        cancelled_at: notice.at,
        status: notice.status,
      })),
    ];
    const orderNumbers = [...new Set(rows.map((row) => row.order_number))];
    return {
      kind: 'cancellations',
      fileName: await this.nextFileName(repo, destination, 'cancellations'),
      content: renderExport(CANCELLATION_EXPORT_COLUMNS, rows, this.format),
      rowCount: rows.length,
      orderNumbers,
      orderIds: [],
      cancellations: uniqueUpdates(lines),
      requests: [...new Map(notices.map(({ key, orderId }) => [key, { key, orderId }])).values()],
    };
  }

  private cancellationRow(
    line: WarehouseCancellationLine,
  ): Omit<CancellationExportRow, 'reason' | 'cancelled_at' | 'status'> {
    return {
      account: this.account.name,
      order_number: line.orderNumber,
      line_ref: line.lineRef,
      part_number: line.partNumber,
      sku: line.sku ?? '',
      quantity: String(line.quantity),
    };
  }

  private async nextFileName(
    repo: Repository,
    destination: Destination,
    kind: DestinationFile['kind'],
  ): Promise<string> {
    const last = await repo.destinations.lastFileName(destination.id, `${kind}-`);
    const previous = last?.slice(kind.length + 1, kind.length + 21);
    return exportFileName(kind, fileNameToken(this.ctx.clock.now(), previous), this.format);
  }

  /** Writes every file stored for this destination and not yet written (this run's and any left by a crash). */
  private async writePending(destination: Destination): Promise<void> {
    const { repo } = this.ctx;
    const pending = await repo.destinations.pendingFiles(destination.id, this.account.id);
    if (pending.length === 0) return;
    let transport: Transport | null = null;
    try {
      transport = await openDestinationTransport(destination, { env: this.ctx.env, deadline: this.deadline });
      for (const file of pending) {
        await writeAtomically(transport, exportFolder(destination), file.fileName, file.content);
        faultCrash('export-after-write', this.ctx.env);
        await repo.destinations.markWritten(file.id, isoNow(this.ctx.clock));
        this.counts.files_written++;
      }
    } catch (err) {
      const message = `destination ${destination.name}: ${errorMessage(err)}`;
      this.errors.push({ message });
      for (const file of await repo.destinations.pendingFiles(destination.id, this.account.id)) {
        await repo.destinations.recordFailure(file.id, message);
      }
    } finally {
      await transport?.end();
    }
    this.counts.files_waiting += (await repo.destinations.pendingFiles(destination.id, this.account.id)).length;
  }
}

/** The folder export files go to: the local folder, or the remote one. */
export function exportFolder(destination: Destination): string {
  return (destination.transport === 'local' ? destination.dir : destination.path) ?? '/';
}

/**
 * A reader never sees half a file: written under a dot-prefixed temporary name (on disk before it is
 * renamed, for a local folder), then renamed into place, replacing atomically. A file already in place
 * with the stored size was put there by a run that stopped before marking it written: left as it is.
 */
async function writeAtomically(transport: Transport, folder: string, name: string, content: Buffer): Promise<void> {
  const target = joinRemote(folder, name);
  if ((await transport.size(target)) === content.length) return;
  const temporary = joinRemote(folder, `.${name}.part`);
  await transport.write(temporary, content);
  await transport.rename(temporary, target, { overwrite: true });
}

function cancelledUnits(cancellations: CancellationLine[], orderId: number, lineRef: string): number {
  return cancellations
    .filter((c) => c.orderId === orderId && c.lineRef === lineRef)
    .reduce((sum, c) => sum + c.quantity, 0);
}

function uniqueUpdates(lines: CancellationLine[]): { updateId: number; orderId: number }[] {
  const byId = new Map(lines.map((line) => [line.updateId, line.orderId]));
  return [...byId].map(([updateId, orderId]) => ({ updateId, orderId }));
}
