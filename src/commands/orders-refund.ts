/**
 * `orders refund` (SPEC §3, §5.4): records a post-shipment cancellation of whole shipped units;
 * `send-refunds` sends it as a tracking update of the refunded lines. An `--amount` must be an exact
 * multiple of the line's unit price and then says how many units. Exit codes as `orders ship`.
 */
import type { Context } from '../core/context.js';
import { parseLineRequests, planRefund } from '../core/order-rules.js';
import { checkedBy, findOrder, recordChecked, requiredText, type RecordedUpdate } from './record-update.js';

export interface RefundOptions {
  reason: string;
  /** `--line <line_ref>[:qty]` values; at least one. */
  lines: string[];
  amount?: string;
}

export async function refundOrder(ctx: Context, orderNumber: string, options: RefundOptions): Promise<RecordedUpdate> {
  const requests = parseLineRequests(options.lines);
  const reason = requiredText(options.reason, '--reason');
  const amount = options.amount?.trim() ?? null;
  const { account, order } = await findOrder(ctx, orderNumber);
  const plan = checkedBy((state) => planRefund(state, requests, amount));
  return recordChecked(ctx, account, order, 'refund', plan, { reason, amount });
}
