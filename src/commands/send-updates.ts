/**
 * What `send-shipments`, `send-cancels` and `send-refunds` share (SPEC §3, §5.3, §6.2): per order, the
 * recorded updates of one kind that no file carries yet become ONE file, rendered and stored in the outbox
 * under its final name in the same transaction that claims them; then every pending file of the flow is
 * uploaded by the outbox sender, and when a file and its marker are on the server its units join the
 * order's lines and the order's status follows, in the transaction that marks it sent.
 *
 * Order rules:
 * - nothing for an order whose acknowledgement has not been sent (the updates wait, counted as waiting);
 * - one update in flight per order: an order with ANY pending file (acknowledgement, shipment,
 *   cancellation, refund) gets no new file; its updates wait for a later run;
 * - a file whose attempts ran out (`failed`) keeps its updates: they are not claimed again by a later run
 *   (that would send their units twice once the failed file is retried); `jl-edge updates retry <id>`
 *   sends that same file again. It does not block the order's later updates.
 */
import type { PathLabel } from '../core/account.js';
import type { Context } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import { faultCrash, faultPause } from '../core/fault-injection.js';
import type { UpdateKind } from '../core/order-rules.js';
import { outgoingFileNames, sendPendingOutbox } from '../core/outbox-sender.js';
import { runStep, type AccountWork, type ItemError, type StepResult, type StepScope } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { Repository } from '../db/repository.js';
import type { OrderUpdate, OrdersToSend } from '../db/repo/order-updates.js';
import type { Order } from '../db/repo/orders.js';
import { joinRemote } from '../transport/transport.js';
import type { PlannedFile } from './ack-orders.js';

/** One of the three update flows: which updates, which folder and file name, and how the file looks. */
export interface UpdateFlow {
  step: 'send-shipments' | 'send-cancels' | 'send-refunds';
  kind: UpdateKind;
  /** The path label whose folder receives the files, also the outbox flow. */
  flow: PathLabel;
  fileName(token: string): string;
  /**
   * The file for `batch` (the order's unclaimed updates of this kind, oldest first); `history` is every
   * update of the order, with the state of its file.
   */
  render(order: Order, batch: readonly OrderUpdate[], history: readonly OrderUpdate[]): RenderedFile;
}

export interface RenderedFile {
  content: Buffer;
  /** Item lines in the file. */
  rowCount: number;
}

export async function sendOrderUpdates(ctx: Context, flow: UpdateFlow): Promise<StepResult> {
  const dryRun = ctx.options.dryRun;
  // A dry run only renders: it has nothing to ask the server.
  return runStep(ctx, flow.step, (scope) => (dryRun ? planFiles(ctx, flow, scope) : send(ctx, flow, scope)), {
    transport: !dryRun,
  });
}

async function send(ctx: Context, flow: UpdateFlow, scope: StepScope): Promise<AccountWork> {
  await faultPause('pause-after-lock', ctx.env);
  const { account } = scope;
  const toSend = await ctx.repo.orderUpdates.ordersToSend(account.id, flow.kind);
  const nextName = await outgoingFileNames(ctx.repo, account.id, account.paths[flow.flow], ctx.clock, flow.fileName);
  const errors: ItemError[] = [];
  const lateInFlight: number[] = [];
  for (const orderId of toSend.ready) {
    try {
      const claim = await ctx.repo.transaction((repo) => claimFile(repo, ctx, flow, scope, orderId, nextName));
      if (claim === 'in flight') lateInFlight.push(orderId);
    } catch (err) {
      // One order that cannot be rendered or stored never stops the others; its updates stay unclaimed.
      const [order] = await ctx.repo.orders.list({ accountId: account.id }, ctx.repo.batchSize, (query) =>
        query.where('orders.id', orderId),
      );
      errors.push({ order: order?.orderNumber, message: `cannot build the ${flow.kind} file: ${errorMessage(err)}` });
    }
  }
  faultCrash('after-claim', ctx.env);
  const sent = await sendPendingOutbox(ctx, {
    ...scope,
    flow: flow.flow,
    onSent: async (repo, rows, sentAt) => {
      for (const row of rows) await repo.orderUpdates.recordSent(row.id, sentAt);
    },
  });
  const waiting = await waitingOrders(ctx, { ...toSend, inFlight: [...toSend.inFlight, ...lateInFlight] });
  return {
    counts: { sent: sent.sent, failed: sent.failed, pending: sent.pending, waiting: waiting.length },
    errors: [...errors, ...sent.errors],
    details: waiting.length > 0 ? { warnings: waiting } : undefined,
  };
}

/**
 * In one transaction: lock the order, check again that it is acknowledged and has no file in flight (a
 * concurrent step may have claimed since the listing), render the file for its unclaimed updates, store
 * it under its final name and tie the updates to it.
 */
async function claimFile(
  repo: Repository,
  ctx: Context,
  flow: UpdateFlow,
  { account }: StepScope,
  orderId: number,
  nextName: () => string,
): Promise<'claimed' | 'in flight' | 'nothing to send'> {
  const now = isoNow(ctx.clock);
  await repo.orderUpdates.lockOrder(orderId, now);
  if (await repo.orderUpdates.hasFileInFlight(orderId)) return 'in flight';
  const [order] = await repo.orders.list({ accountId: account.id }, repo.batchSize, (query) =>
    query.where('orders.id', orderId),
  );
  const batch = await repo.orderUpdates.listUnclaimed(orderId, flow.kind);
  if (order === undefined || order.acknowledgedAt === null || batch.length === 0) return 'nothing to send';
  const { content, rowCount } = flow.render(order, batch, await repo.orderUpdates.listForOrder(orderId));
  const file = await repo.outbox.insertPending({
    accountId: account.id,
    flow: flow.flow,
    orderId,
    remoteDir: account.paths[flow.flow],
    remoteName: nextName(),
    marker: true,
    rowCount,
    now,
    file: { content },
  });
  const claimed = await repo.orderUpdates.claim(
    batch.map((update) => update.id),
    file.id,
  );
  // Rolls the whole claim back: the updates stay unclaimed for the next run.
  if (claimed !== batch.length)
    throw new Error(`${batch.length - claimed} of its updates were claimed by another run meanwhile`);
  return 'claimed';
}

/** Orders whose updates must wait, each as a note (not a failure) saying what for. */
async function waitingOrders(ctx: Context, toSend: OrdersToSend): Promise<ItemError[]> {
  const notes = async (ids: number[], message: string): Promise<ItemError[]> => {
    if (ids.length === 0) return [];
    const orders = await ctx.repo.orders.list({}, ctx.repo.batchSize, (query) => query.whereIn('orders.id', ids));
    return orders.map((order) => ({ order: order.orderNumber, message }));
  };
  return [
    ...(await notes(toSend.awaitingAcknowledgement, 'waits for its acknowledgement to be sent (ack-orders)')),
    ...(await notes(
      toSend.inFlight,
      'waits for the file in flight for it to be sent (one update per order at a time)',
    )),
  ];
}

/** --dry-run: the files that are pending and would be sent again, and those that would be built now. */
async function planFiles(ctx: Context, flow: UpdateFlow, { account }: StepScope): Promise<AccountWork> {
  const planned: PlannedFile[] = [];
  for (const row of await ctx.repo.outbox.listPending(account.id, flow.flow)) {
    planned.push({
      order_number: row.orderNumber,
      remote_path: joinRemote(row.remoteDir, row.remoteName),
      resend: true,
      content: row.content?.toString('utf8') ?? '',
    });
  }
  const toSend = await ctx.repo.orderUpdates.ordersToSend(account.id, flow.kind);
  const nextName = await outgoingFileNames(ctx.repo, account.id, account.paths[flow.flow], ctx.clock, flow.fileName);
  const errors: ItemError[] = [];
  const orders = toSend.ready.length
    ? await ctx.repo.orders.list({ accountId: account.id }, ctx.repo.batchSize, (query) =>
        query.whereIn('orders.id', toSend.ready),
      )
    : [];
  for (const order of orders) {
    try {
      const batch = await ctx.repo.orderUpdates.listUnclaimed(order.id, flow.kind);
      const { content } = flow.render(order, batch, await ctx.repo.orderUpdates.listForOrder(order.id));
      planned.push({
        order_number: order.orderNumber,
        remote_path: joinRemote(account.paths[flow.flow], nextName()),
        resend: false,
        content: content.toString('utf8'),
      });
    } catch (err) {
      errors.push({ order: order.orderNumber, message: `cannot build the ${flow.kind} file: ${errorMessage(err)}` });
    }
  }
  const waiting = await waitingOrders(ctx, toSend);
  // Nothing is stored or sent: every file stays to be sent.
  return {
    counts: { sent: 0, failed: 0, pending: planned.length, waiting: waiting.length },
    errors,
    details: { files: planned, ...(waiting.length > 0 ? { warnings: waiting } : {}) },
  };
}

/** Units per order line id in a set of updates. */
export function unitsByLine(updates: readonly OrderUpdate[]): Map<number, number> {
  const units = new Map<number, number>();
  for (const update of updates)
    for (const line of update.lines) units.set(line.lineId, (units.get(line.lineId) ?? 0) + line.quantity);
  return units;
}

/** The latest of `shipments` (by id) that shipped the line, or an error: every shipped unit came from one. */
export function lastShipmentOf(lineId: number, lineRef: string, shipments: readonly OrderUpdate[]): OrderUpdate {
  const found = shipments
    .filter((shipment) => shipment.lines.some((line) => line.lineId === lineId))
    .sort((a, b) => a.id - b.id)
    .pop();
  if (!found) throw new Error(`line ${lineRef} has shipped units but no sent shipment records them`);
  return found;
}
