/**
 * Answering customer cancellation requests (SPEC §3, §4.8, §5.4): `orders accept-cancel` records the
 * cancellation of the requested units still open (sent by `send-cancels`), `orders reject-cancel` closes
 * the requests without a file (◇ no rejection format is documented), and a forced shipment closes the
 * requests it overrides as rejected. `download-orders` accepts through the same code when the account has
 * `auto_accept_cancellations`.
 */
import { userInfo } from 'node:os';
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import {
  RequestRefusedError,
  acceptedLines,
  planRequestedCancellation,
  type PlannedLine,
  type RequestShortfall,
} from '../core/order-rules.js';
import { isoNow } from '../core/time.js';
import type { Repository } from '../db/repository.js';
import type { CancelRequest } from '../db/repo/cancel-requests.js';
import type { Order } from '../db/repo/orders.js';
import { CUSTOMER_REQUEST_REASON } from '../formats/cancel-request.js';
import { findOrder, lineIds, orderState, reloadOrder, requiredText } from './record-update.js';

/** The result of answering an order's open requests, for people and --json. */
export interface CancelRequestAnswerResult {
  account: string;
  order_number: string;
  answer: 'accepted' | 'rejected';
  /** The request files answered. */
  requests: string[];
  /** The cancellation recorded (accepted only; null on --dry-run). */
  update_id: number | null;
  /** Units cancelled per line (accepted only). */
  lines: { line_ref: string; quantity: number }[];
  /** Requested units that could not be cancelled any more, and why. */
  not_cancelled: { line_ref: string; requested: number; cancelled: number; why: string }[];
  reason: string | null;
  /** What must happen before send-cancels sends the cancellation, or null. */
  waiting_for: string | null;
}

/** Who answered: the person running the command, as the system knows them. */
export function personAnswering(ctx: Context): string {
  return ctx.env.SUDO_USER || ctx.env.USER || ctx.env.LOGNAME || userInfo().username;
}

export async function acceptCancel(ctx: Context, orderNumber: string): Promise<CancelRequestAnswerResult> {
  const { account, order } = await findOrder(ctx, orderNumber);
  const open = await openRequestsOrRefuse(ctx.repo, order);
  if (ctx.options.dryRun) {
    const plan = planRequestedCancellation(await orderState(ctx.repo, order));
    return acceptedResult(account, order, open, null, acceptedLines(plan), plan.shortfalls);
  }
  const accepted = await ctx.repo.transaction(async (repo) => {
    const now = isoNow(ctx.clock);
    await repo.orderUpdates.lockOrder(order.id, now);
    return acceptOpenRequests(repo, await reloadOrder(repo, order), personAnswering(ctx), now);
  });
  if ('refused' in accepted) throw new RequestRefusedError(accepted.refused);
  return acceptedResult(account, order, accepted.requests, accepted.updateId, accepted.lines, accepted.shortfalls);
}

export async function rejectCancel(
  ctx: Context,
  orderNumber: string,
  reasonOption: string | undefined,
): Promise<CancelRequestAnswerResult> {
  const reason = requiredText(reasonOption, '--reason');
  const { account, order } = await findOrder(ctx, orderNumber);
  let open = await openRequestsOrRefuse(ctx.repo, order);
  if (!ctx.options.dryRun) {
    open = await ctx.repo.transaction(async (repo) => {
      const now = isoNow(ctx.clock);
      await repo.orderUpdates.lockOrder(order.id, now);
      const current = await openRequestsOrRefuse(repo, order);
      await repo.cancelRequests.answer(
        current.map((request) => request.id),
        { status: 'rejected', answeredBy: personAnswering(ctx), answer: reason, updateId: null, now },
      );
      return current;
    });
  }
  return {
    ...answerHeading(account, order, 'rejected', open),
    update_id: null,
    lines: [],
    not_cancelled: [],
    reason,
    waiting_for: null,
  };
}

export type AcceptOutcome =
  | { requests: CancelRequest[]; updateId: number; lines: PlannedLine[]; shortfalls: RequestShortfall[] }
  | { refused: string };

/**
 * Records the cancellation of an order's open requested units and closes its open requests as accepted.
 * Call it in a transaction that has locked the order (`lockOrder`) and read it after the lock.
 */
export async function acceptOpenRequests(
  repo: Repository,
  order: Order,
  answeredBy: string,
  now: string,
): Promise<AcceptOutcome> {
  const open = await repo.cancelRequests.listOpenForOrder(order.id);
  if (open.length === 0) return { refused: noOpenRequest(order) };
  const plan = planRequestedCancellation(await orderState(repo, order));
  if (plan.refusals.length > 0) return { refused: plan.refusals.map((refusal) => refusal.message).join('; ') };
  const updateId = await repo.orderUpdates.insert({
    orderId: order.id,
    kind: 'cancellation',
    reason: requestReason(open),
    lines: lineIds(order, plan.lines),
    now,
  });
  await repo.cancelRequests.answer(
    open.map((request) => request.id),
    { status: 'accepted', answeredBy, answer: describeShortfalls(plan.shortfalls), updateId, now },
  );
  return { requests: open, updateId, lines: plan.lines, shortfalls: plan.shortfalls };
}

/**
 * A forced shipment of requested units answers the requests on those lines: rejected, the seller ships.
 * Call it in the transaction that records the shipment.
 */
export async function rejectOverriddenRequests(
  repo: Repository,
  order: Order,
  overridden: readonly PlannedLine[],
  answeredBy: string,
  now: string,
): Promise<void> {
  if (overridden.length === 0) return;
  const lineIdsShipped = new Set(lineIds(order, overridden).map((line) => line.lineId));
  const open = await repo.cancelRequests.listOpenForOrder(order.id);
  const touched = open.filter((request) => request.lines.some((line) => lineIdsShipped.has(line.lineId ?? -1)));
  await repo.cancelRequests.answer(
    touched.map((request) => request.id),
    { status: 'rejected', answeredBy, answer: 'shipped anyway (--force)', updateId: null, now },
  );
}

/** "line 1: 1 of 2 requested unit(s) not cancelled (ordered 2: 1 shipped)"; null when everything was cancelled. */
export function describeShortfalls(shortfalls: readonly RequestShortfall[]): string | null {
  if (shortfalls.length === 0) return null;
  return shortfalls
    .map(
      (s) =>
        `line ${s.lineRef}: ${s.requested - s.cancelled} of ${s.requested} requested unit(s) not cancelled (${s.why})`,
    )
    .join('; ');
}

/** The reason the cancellation acknowledgement carries: the customer's, else ◇ the format's default. */
function requestReason(requests: readonly CancelRequest[]): string {
  for (const request of requests) for (const line of request.lines) if (line.reason) return line.reason;
  return CUSTOMER_REQUEST_REASON;
}

function noOpenRequest(order: Order): string {
  return `order ${order.orderNumber} has no open customer cancellation request (jl-edge orders show ${order.orderNumber} lists its requests)`;
}

async function openRequestsOrRefuse(repo: Repository, order: Order): Promise<CancelRequest[]> {
  const open = await repo.cancelRequests.listOpenForOrder(order.id);
  if (open.length === 0) throw new RequestRefusedError(noOpenRequest(order));
  return open;
}

/** The first fields of an answer's result: whose order, which answer, to which request files. */
function answerHeading(
  account: Account,
  order: Order,
  answer: CancelRequestAnswerResult['answer'],
  requests: readonly CancelRequest[],
): Pick<CancelRequestAnswerResult, 'account' | 'order_number' | 'answer' | 'requests'> {
  return {
    account: account.name,
    order_number: order.orderNumber,
    answer,
    requests: requests.map((request) => request.fileName),
  };
}

function acceptedResult(
  account: Account,
  order: Order,
  requests: readonly CancelRequest[],
  updateId: number | null,
  lines: readonly PlannedLine[],
  shortfalls: readonly RequestShortfall[],
): CancelRequestAnswerResult {
  return {
    ...answerHeading(account, order, 'accepted', requests),
    update_id: updateId,
    lines: lines.map((line) => ({ line_ref: line.lineRef, quantity: line.quantity })),
    not_cancelled: shortfalls.map((s) => ({
      line_ref: s.lineRef,
      requested: s.requested,
      cancelled: s.cancelled,
      why: s.why,
    })),
    reason: requestReason(requests),
    waiting_for: order.acknowledgedAt === null ? 'the order acknowledgement (ack-orders sends it first)' : null,
  };
}
