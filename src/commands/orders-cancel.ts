/**
 * `orders cancel` (SPEC §3, §4.5, §5.4): records a pre-shipment cancellation of units neither shipped nor
 * cancelled; `send-cancels` sends it. An order whose acknowledgement is not sent yet may be cancelled: the
 * cancellation is recorded and waits until the acknowledgement has been sent. Exit codes as `orders ship`.
 */
import type { Context } from '../core/context.js';
import { parseLineRequests, planCancellation } from '../core/order-rules.js';
import { checkedBy, findOrder, recordChecked, requiredText, type RecordedUpdate } from './record-update.js';

export interface CancelOptions {
  reason: string;
  /** `--line <line_ref>[:qty]` values; none = every unit neither shipped nor cancelled. */
  lines: string[];
}

export async function cancelOrder(ctx: Context, orderNumber: string, options: CancelOptions): Promise<RecordedUpdate> {
  const requests = parseLineRequests(options.lines);
  const reason = requiredText(options.reason, '--reason');
  const { account, order } = await findOrder(ctx, orderNumber);
  const plan = checkedBy((state) => planCancellation(state, requests));
  return recordChecked(ctx, account, order, 'cancellation', plan, { reason });
}
