/**
 * `orders list` and `orders show` (SPEC §5.4, §5.7): orders as stored, with their lines, errors and the
 * updates recorded for them.
 */
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import type { Due } from '../core/date-watch.js';
import { UsageError } from '../core/errors.js';
import { isoNow } from '../core/time.js';
import { ORDER_STATUSES, type Order, type OrderFilter, type OrderLine, type OrderStatus } from '../db/repo/orders.js';
import type { OutboxSummary } from '../db/repo/outbox.js';
import type { CancelRequestStatus } from '../db/repo/cancel-requests.js';
import { londonDayStart } from '../formats/file-name-token.js';
import { supplierRef } from '../formats/supplier-ref.js';
import { dueLines } from './due-lines.js';
import { recordedUpdateViews, type RecordedUpdateView } from './record-update.js';

export interface OrderLineView {
  line_ref: string;
  part_number: string;
  sku: string | null;
  quantity: number;
  shipped_quantity: number;
  cancelled_quantity: number;
  refunded_quantity: number;
}

export interface OrderErrorView {
  severity: 'high' | 'low';
  message: string;
  created_at: string;
}

export interface OrderUpdateView {
  id: number;
  flow: string;
  remote_name: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** The JSON shape of SPEC §5.7. */
export interface OrderView {
  order_number: string;
  account: string;
  status: OrderStatus;
  supplier_ref: string;
  order_date: string | null;
  test_flag: string | null;
  file: string | null;
  created_at: string;
  acknowledged_at: string | null;
  lines: OrderLineView[];
  errors: OrderErrorView[];
  updates: OrderUpdateView[];
  /** `orders list --late|--due-today` only: the earliest due date among the order's lines in that state. */
  due_date?: string;
}

export interface OrderExportView {
  destination: string;
  file_name: string;
  status: 'pending' | 'written';
  created_at: string;
  written_at: string | null;
}

export interface CancelRequestView {
  file: string;
  status: CancelRequestStatus;
  received_at: string;
  lines: { line_ref: string; quantity: number }[];
  /** Why it does not (fully) apply to the order: a line the order does not have. */
  problem: string | null;
  answered_at: string | null;
  answered_by: string | null;
  answer: string | null;
  /** The cancellation recorded when it was accepted. */
  update_id: number | null;
}

/** Not a status of its own: orders of any status with an open customer cancellation request (SPEC §3). */
export const CANCEL_REQUESTED = 'cancel_requested';
export type OrderListStatus = OrderStatus | typeof CANCEL_REQUESTED;
const LIST_STATUSES: readonly string[] = [...ORDER_STATUSES, CANCEL_REQUESTED];

/** Where the parcel goes, as the order file gives it (every field null when the file left it out). */
export interface DeliveryView {
  title: string | null;
  name: string | null;
  address: string[];
  city: string | null;
  postcode: string | null;
  country: string | null;
  phone: string | null;
  email: string | null;
}

export interface OrderLineDetailView extends OrderLineView {
  description: string | null;
  promised_date: string | null;
  /** What the customer pays per unit, and the seller's cost per unit, as the file wrote them. */
  unit_price: string | null;
  unit_cost_price: string | null;
  /** Units neither shipped nor cancelled yet. */
  open_quantity: number;
}

export interface OrderHistoryView {
  event: 'replaced' | 'dismissed';
  file: string | null;
  detail: string;
  created_at: string;
}

/** `orders show`: the order as a packer needs it — who, where, by when, what — and its history. */
export interface OrderDetailView extends Omit<OrderView, 'lines'> {
  delivery: DeliveryView;
  expected_delivery_date: string | null;
  currency: string | null;
  lines: OrderLineDetailView[];
  history: OrderHistoryView[];
  recorded_updates: RecordedUpdateView[];
  /** The warehouse files (SPEC §5.8) that carried the order or its cancellations. */
  exports: OrderExportView[];
  /** The customer's cancellation requests, open or answered (SPEC §4.8). */
  cancel_requests: CancelRequestView[];
}

export function parseOrderStatus(value: string): OrderListStatus {
  if (!LIST_STATUSES.includes(value)) {
    throw new UsageError(`--status ${value}: not an order status (one of ${LIST_STATUSES.join(', ')})`);
  }
  return value as OrderListStatus;
}

/**
 * `--since`: a London calendar date (`yyyy-mm-dd`, from its midnight) or an ISO-8601 time with its zone;
 * the instant as `created_at` is stored.
 */
export function parseSince(value: string): string {
  const wrong = () =>
    new UsageError(
      `--since ${value}: give a date (2026-03-01, London time) or a time with its zone (2026-03-01T09:00:00Z)`,
    );
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    try {
      return londonDayStart(value).toISOString();
    } catch {
      throw wrong();
    }
  }
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
    ? Date.parse(value)
    : NaN;
  if (Number.isNaN(instant)) throw wrong();
  return new Date(instant).toISOString();
}

export interface ListOrdersOptions {
  status?: OrderListStatus;
  /** Only orders with a line late, or due for dispatch today (SPEC §5.5), oldest due first. */
  due?: Extract<Due, 'late' | 'due_today'>;
  /** Only orders received at or after this instant (`parseSince`). */
  since?: string;
  /** At most this many orders: the first ones in the listing's order. */
  limit?: number;
}

export interface OrderListing {
  orders: OrderView[];
  /** How many orders matched, listed or not. */
  total: number;
}

/** Orders oldest first (oldest due first with `due`), of the `--account` account or of every account. */
export async function listOrders(ctx: Context, options: ListOrdersOptions): Promise<OrderListing> {
  const account = ctx.options.account === undefined ? undefined : await ctx.requireAccount(ctx.options.account);
  const filter: OrderFilter = {
    ...(options.status === CANCEL_REQUESTED ? { cancelRequested: true } : { status: options.status }),
    receivedSince: options.since,
  };
  if (options.due !== undefined) return listOrdersDue(ctx, account, options.due, filter, options.limit);
  const orders = await ctx.repo.orders.list(
    { accountId: account?.id, ...filter },
    ctx.repo.batchSize,
    undefined,
    options.limit,
  );
  const updates = await ctx.repo.outbox.listByOrders(
    orders.map((order) => order.id),
    ctx.repo.batchSize,
  );
  const total =
    options.limit !== undefined && orders.length === options.limit
      ? await ctx.repo.orders.count({ accountId: account?.id, ...filter })
      : orders.length;
  return { orders: orders.map((order) => viewOrder(order, updates.get(order.id) ?? [])), total };
}

async function listOrdersDue(
  ctx: Context,
  account: Account | undefined,
  due: Extract<Due, 'late' | 'due_today'>,
  filter: OrderFilter,
  limit: number | undefined,
): Promise<OrderListing> {
  // Lines come oldest due first, so an order's first line met is its earliest.
  const dueDateOf = new Map<number, string>();
  for (const each of account ? [account] : await ctx.listAccounts()) {
    for (const line of await dueLines(ctx, each)) {
      if (line.due === due && !dueDateOf.has(line.orderId)) dueDateOf.set(line.orderId, line.due_date);
    }
  }
  const ids = [...dueDateOf.keys()];
  const listed: { order: Order; view: OrderView }[] = [];
  for (let start = 0; start < ids.length; start += ctx.repo.batchSize) {
    const chunk = ids.slice(start, start + ctx.repo.batchSize);
    const orders = await ctx.repo.orders.list(filter, ctx.repo.batchSize, (query) => query.whereIn('orders.id', chunk));
    const updates = await ctx.repo.outbox.listByOrders(chunk, ctx.repo.batchSize);
    for (const order of orders) {
      const view = { ...viewOrder(order, updates.get(order.id) ?? []), due_date: dueDateOf.get(order.id)! };
      listed.push({ order, view });
    }
  }
  // Oldest due first; orders due the same day oldest first.
  listed.sort(
    (a, b) =>
      (a.view.due_date! < b.view.due_date! ? -1 : a.view.due_date! > b.view.due_date! ? 1 : 0) ||
      a.order.id - b.order.id,
  );
  return { orders: listed.slice(0, limit).map(({ view }) => view), total: listed.length };
}

/**
 * One order by number, whatever its case (John Lewis' numbers are upper case; a person may type them
 * otherwise); `--account` chooses when two accounts share the number.
 */
export async function findOrder(ctx: Context, orderNumber: string): Promise<Order> {
  const accountId = ctx.options.account === undefined ? undefined : (await ctx.requireAccount(ctx.options.account)).id;
  const found = await ctx.repo.orders.list({ accountId, orderNumber }, ctx.repo.batchSize);
  if (found.length === 0) {
    throw new UsageError(
      `no order ${orderNumber}${ctx.options.account ? ` in account "${ctx.options.account}"` : ''} (jl-edge orders list shows the stored ones)`,
    );
  }
  if (found.length > 1) {
    throw new UsageError(
      `order ${orderNumber} exists in accounts ${found.map((order) => order.accountName).join(', ')}: choose one with --account`,
    );
  }
  return found[0]!;
}

export async function showOrder(ctx: Context, orderNumber: string): Promise<OrderDetailView> {
  const order = await findOrder(ctx, orderNumber);
  const text = (value: string | undefined): string | null => (value?.trim() ? value.trim() : null);
  const { fields } = order;
  return {
    ...viewOrder(order, await ctx.repo.outbox.listByOrder(order.id)),
    delivery: {
      title: text(fields.shipping_title),
      name: text(fields.shipping_full_name),
      address: [fields.shipping_address_1, fields.shipping_address_2, fields.shipping_address_3].flatMap(
        (part) => text(part) ?? [],
      ),
      city: text(fields.shipping_city),
      postcode: text(fields.shipping_postcode),
      country: text(fields.shipping_country),
      phone: text(fields.shipping_phone),
      email: text(fields.shipping_email),
    },
    expected_delivery_date: text(fields.expected_delivery_date),
    currency: text(fields.currency_code),
    lines: order.lines.map((line) => ({
      ...viewLine(line),
      description: text(line.fields.description),
      promised_date: text(line.fields.promised_date),
      unit_price: text(line.fields.unit_price),
      unit_cost_price: text(line.fields.unit_cost_price),
      open_quantity: line.quantity - line.shippedQuantity - line.cancelledQuantity,
    })),
    history: (await ctx.repo.orders.history(order.id)).map((event) => ({
      event: event.event,
      file: event.file,
      detail: event.detail,
      created_at: event.createdAt,
    })),
    recorded_updates: await recordedUpdateViews(ctx.repo, order.id),
    exports: (await ctx.repo.destinations.exportsOfOrder(order.id)).map((exported) => ({
      destination: exported.destination,
      file_name: exported.fileName,
      status: exported.status,
      created_at: exported.createdAt,
      written_at: exported.writtenAt,
    })),
    cancel_requests: (await ctx.repo.cancelRequests.listForOrder(order.id)).map((request) => ({
      file: request.fileName,
      status: request.status,
      received_at: request.receivedAt,
      lines: request.lines.map((line) => ({ line_ref: line.lineRef, quantity: line.quantity })),
      problem: request.problem,
      answered_at: request.answeredAt,
      answered_by: request.answeredBy,
      answer: request.answer,
      update_id: request.updateId,
    })),
  };
}

/**
 * `orders dismiss` (SPEC §3): closes an incomplete order a person dealt with outside the tool, so
 * `status` stops flagging it. The reason is kept in the order's history.
 */
export async function dismissOrder(ctx: Context, orderNumber: string, reason: string): Promise<OrderDetailView> {
  if (reason.trim() === '') throw new UsageError('--reason must say why the order is dismissed');
  const order = await findOrder(ctx, orderNumber);
  if (order.status !== 'incomplete') {
    throw new UsageError(
      `order ${order.orderNumber} is ${order.status}: only an incomplete order can be dismissed (a stored order is cancelled with jl-edge orders cancel)`,
    );
  }
  if (!ctx.options.dryRun && !(await ctx.repo.orders.dismiss(order.id, reason.trim(), isoNow(ctx.clock)))) {
    throw new UsageError(`order ${order.orderNumber} changed meanwhile: run the command again`);
  }
  return showOrder(ctx, order.orderNumber);
}

function viewOrder(order: Order, updates: OutboxSummary[]): OrderView {
  return {
    order_number: order.orderNumber,
    account: order.accountName,
    status: order.status,
    supplier_ref: supplierRef(order.id),
    order_date: order.orderDate,
    test_flag: order.testFlag,
    file: order.inboundFileName,
    created_at: order.createdAt,
    acknowledged_at: order.acknowledgedAt,
    lines: order.lines.map(viewLine),
    errors: order.errors.map((error) => ({
      severity: error.severity,
      message: error.message,
      created_at: error.createdAt,
    })),
    updates: updates.map((update) => ({
      id: update.id,
      flow: update.flow,
      remote_name: update.remoteName,
      status: update.status,
      attempts: update.attempts,
      last_error: update.lastError,
      created_at: update.createdAt,
      sent_at: update.sentAt,
    })),
  };
}

function viewLine(line: OrderLine): OrderLineView {
  return {
    line_ref: line.lineRef,
    part_number: line.partNumber,
    sku: line.sku,
    quantity: line.quantity,
    shipped_quantity: line.shippedQuantity,
    cancelled_quantity: line.cancelledQuantity,
    refunded_quantity: line.refundedQuantity,
  };
}
