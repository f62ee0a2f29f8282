/**
 * What `orders ship|cancel|refund` and `import-shipments` share: finding the order, reading its line
 * quantities together with what is recorded but unsent, and storing a request only after checking it in
 * the same transaction that stores it (SPEC §5.4: validated against the order before anything is stored).
 */
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import {
  acceptedLines,
  type LineState,
  type OrderState,
  type PlannedLine,
  type UpdateKind,
} from '../core/order-rules.js';
import { isoNow } from '../core/time.js';
import type { Repository } from '../db/repository.js';
import type { NewOrderUpdate } from '../db/repo/order-updates.js';
import type { Order, OrderLine } from '../db/repo/orders.js';
import { joinRemote } from '../transport/transport.js';

/** What was recorded of a shipment, cancellation or refund, as people and --json see it. */
interface UpdateFactsView {
  kind: UpdateKind;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  dispatch_date: string | null;
  delivery_date: string | null;
  reason: string | null;
  amount: string | null;
}

/** The result of recording one update, for people and --json. */
export interface RecordedUpdate extends UpdateFactsView {
  account: string;
  order_number: string;
  /** null on --dry-run: nothing was stored. */
  update_id: number | null;
  lines: { line_ref: string; part_number: string; quantity: number }[];
  /** What must happen before a send step sends it, or null when the next run of its send step will. */
  waiting_for: string | null;
}

/** The update's details without its kind, order, lines and time: what a command adds to the checked lines. */
export type UpdateDetails = Omit<NewOrderUpdate, 'kind' | 'orderId' | 'lines' | 'now'>;

/**
 * The order with this number, in `--account` or else in any account (order numbers are John Lewis'; one
 * seen in two accounts needs `--account`). An unknown number is a usage error (exit 2).
 */
export async function findOrder(ctx: Context, orderNumber: string): Promise<{ account: Account; order: Order }> {
  const accounts = ctx.options.account ? [await ctx.requireAccount(ctx.options.account)] : await ctx.listAccounts();
  const found: { account: Account; order: Order }[] = [];
  for (const account of accounts) {
    const [order] = await ctx.repo.orders.list({ accountId: account.id, orderNumber }, ctx.repo.batchSize);
    if (order) found.push({ account, order });
  }
  if (found.length === 0) {
    const where = ctx.options.account ? ` in account ${ctx.options.account}` : '';
    throw new UsageError(
      `no order ${JSON.stringify(orderNumber)}${where} (jl-edge orders list shows the stored orders)`,
    );
  }
  if (found.length > 1) {
    throw new UsageError(
      `order ${orderNumber} exists in accounts ${found.map((f) => f.account.name).join(' and ')}: choose one with --account`,
    );
  }
  return found[0];
}

/** The order as the rules see it: sent quantities from its lines, unsent ones from its recorded updates. */
export async function orderState(repo: Repository, order: Order): Promise<OrderState> {
  const unsent = await repo.orderUpdates.unsentUnits(order.id);
  const requested = await repo.cancelRequests.openUnitsByLine(order.id);
  return {
    orderNumber: order.orderNumber,
    status: order.status,
    lines: order.lines.map((line) => {
      const pending = unsent.get(line.id);
      return {
        lineRef: line.lineRef,
        quantity: line.quantity,
        shipped: line.shippedQuantity,
        cancelled: line.cancelledQuantity,
        refunded: line.refundedQuantity,
        pendingShipped: pending?.shipment ?? 0,
        pendingCancelled: pending?.cancellation ?? 0,
        pendingRefunded: pending?.refund ?? 0,
        requestedCancellation: requested.get(line.id) ?? 0,
        unitPrice: refundUnitPrice(line),
      };
    }),
  };
}

/**
 * ◇ The price a refund's `--amount` is checked against: the line's `unit_price`, else the seller's
 * `unit_cost_price` (The Edge's example orders carry only the latter); none of them: an amount is refused.
 */
function refundUnitPrice(line: OrderLine): LineState['unitPrice'] {
  if (line.unitPrice !== null) return { value: line.unitPrice, column: 'unit_price' };
  const cost = line.fields.unit_cost_price?.trim();
  return cost ? { value: cost, column: 'unit_cost_price' } : null;
}

/** The order as stored now: read again after `lockOrder`, so checks see every update stored before. */
export async function reloadOrder(repo: Repository, order: Order): Promise<Order> {
  const [fresh] = await repo.orders.list(
    { accountId: order.accountId, orderNumber: order.orderNumber },
    repo.batchSize,
  );
  return fresh;
}

/**
 * Checks a request against the order and stores it, in one transaction that first locks the order, so a
 * concurrent recording or claim cannot slip between the check and the insert. `plan` throws the refusal
 * (UsageError → exit 2, RequestRefusedError → exit 1) and nothing is stored. A dry run checks and stores
 * nothing.
 */
export async function recordChecked(
  ctx: Context,
  account: Account,
  order: Order,
  kind: UpdateKind,
  plan: (state: OrderState) => PlannedLine[],
  details: UpdateDetails,
  /** More to store in the same transaction, once the update is in (e.g. requests a forced shipment overrides). */
  alsoStore?: (repo: Repository, order: Order, state: OrderState, lines: PlannedLine[], now: string) => Promise<void>,
): Promise<RecordedUpdate> {
  const check = async (
    repo: Repository,
    current: Order,
  ): Promise<{ order: Order; state: OrderState; lines: PlannedLine[] }> => {
    const state = await orderState(repo, current);
    return { order: current, state, lines: plan(state) };
  };
  let updateId: number | null = null;
  let checked: { order: Order; lines: PlannedLine[] };
  if (ctx.options.dryRun) {
    checked = await check(ctx.repo, order);
  } else {
    ({ checked, updateId } = await ctx.repo.transaction(async (repo) => {
      const now = isoNow(ctx.clock);
      await repo.orderUpdates.lockOrder(order.id, now);
      const result = await check(repo, await reloadOrder(repo, order));
      const id = await repo.orderUpdates.insert({
        ...details,
        kind,
        orderId: order.id,
        lines: lineIds(result.order, result.lines),
        now,
      });
      await alsoStore?.(repo, result.order, result.state, result.lines, now);
      return { checked: result, updateId: id };
    }));
  }
  return recordedUpdate(account, checked.order, kind, updateId, checked.lines, details);
}

/** Planned lines (by reference) as the order's line ids and quantities, for storing. */
export function lineIds(order: Order, lines: readonly PlannedLine[]): { lineId: number; quantity: number }[] {
  return lines.map((planned) => ({
    lineId: order.lines.find((l) => l.lineRef === planned.lineRef)!.id,
    quantity: planned.quantity,
  }));
}

export function recordedUpdate(
  account: Account,
  order: Order,
  kind: UpdateKind,
  updateId: number | null,
  lines: readonly PlannedLine[],
  details: UpdateDetails,
): RecordedUpdate {
  return {
    account: account.name,
    order_number: order.orderNumber,
    kind,
    update_id: updateId,
    lines: lines.map((planned) => ({
      line_ref: planned.lineRef,
      part_number: order.lines.find((l) => l.lineRef === planned.lineRef)!.partNumber,
      quantity: planned.quantity,
    })),
    carrier: details.carrier ?? null,
    tracking_number: details.trackingNumber ?? null,
    tracking_url: details.trackingUrl ?? null,
    dispatch_date: details.dispatchDate ?? null,
    delivery_date: details.deliveryDate ?? null,
    reason: details.reason ?? null,
    amount: details.amount ?? null,
    // SPEC §3: nothing is sent for an order before its acknowledgement has been sent.
    waiting_for: order.acknowledgedAt === null ? 'the order acknowledgement (ack-orders sends it first)' : null,
  };
}

/** A required free-text option (`--reason`, `--tracking`): trimmed, not empty. */
export function requiredText(value: string | undefined, option: string): string {
  const text = (value ?? '').trim();
  if (text === '') throw new UsageError(`${option} must not be empty`);
  return text;
}

/** `acceptedLines` bound for `recordChecked`: the plan's lines, or its refusals thrown. */
export function checkedBy(
  planner: (state: OrderState) => Parameters<typeof acceptedLines>[0],
): (state: OrderState) => PlannedLine[] {
  return (state) => acceptedLines(planner(state));
}

/** An update as `orders show` lists it: what was recorded, and where its file is. */
export interface RecordedUpdateView extends UpdateFactsView {
  id: number;
  /** `waiting`: no file yet (the next run of its send step builds one, or it waits for the order); else its file's state. */
  state: 'waiting' | 'pending' | 'sent' | 'failed';
  /** The remote path of its file, once a send step has built one. */
  file: string | null;
  lines: { line_ref: string; quantity: number }[];
  created_at: string;
}

export async function recordedUpdateViews(repo: Repository, orderId: number): Promise<RecordedUpdateView[]> {
  return (await repo.orderUpdates.listForOrder(orderId)).map((update) => ({
    id: update.id,
    kind: update.kind,
    state: update.outboxStatus ?? 'waiting',
    file:
      update.remoteDir !== null && update.remoteName !== null ? joinRemote(update.remoteDir, update.remoteName) : null,
    lines: update.lines.map((line) => ({ line_ref: line.lineRef, quantity: line.quantity })),
    carrier: update.carrier,
    tracking_number: update.trackingNumber,
    tracking_url: update.trackingUrl,
    dispatch_date: update.dispatchDate,
    delivery_date: update.deliveryDate,
    reason: update.reason,
    amount: update.amount,
    created_at: update.createdAt,
  }));
}
