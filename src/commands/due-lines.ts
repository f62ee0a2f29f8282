import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { dispatchDueDate, dueState, type Due, type DueDateSource } from '../core/date-watch.js';
import { londonDate } from '../formats/file-name-token.js';

/** A line still to be dispatched and when it is due (SPEC §5.5), as `status` and `orders list` show it. */
export interface DueLineView {
  order_number: string;
  line_ref: string;
  part_number: string;
  sku: string | null;
  /** Units neither shipped nor cancelled. */
  open_quantity: number;
  due_date: string;
  due_from: DueDateSource;
  due: Due;
}

export interface DueLine extends DueLineView {
  orderId: number;
}

export function viewDueLine({ orderId: _orderId, ...view }: DueLine): DueLineView {
  return view;
}

/**
 * The account's lines still to be dispatched that have a due date, oldest due first (then in order and
 * line order). A line without a promised date and whose order has no expected delivery date has no due
 * date, and is left out.
 */
export async function dueLines(ctx: Context, account: Account): Promise<DueLine[]> {
  const today = londonDate(ctx.clock.now());
  const lines: DueLine[] = [];
  for (const line of await ctx.repo.status.openLines(account.id)) {
    const due = dispatchDueDate(
      line.promisedDate,
      line.expectedDeliveryDate,
      line.productLeadTimeDays ?? account.leadTimeDays,
    );
    if (due === null) continue;
    lines.push({
      order_number: line.orderNumber,
      line_ref: line.lineRef,
      part_number: line.partNumber,
      sku: line.sku,
      open_quantity: line.openQuantity,
      due_date: due.date,
      due_from: due.source,
      due: dueState(due.date, today),
      orderId: line.orderId,
    });
  }
  // Stable: lines due the same day stay in order and line order.
  return lines.sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : 0));
}
