/**
 * The order acknowledgement (SPEC §4.3, outbound, OrderAcknowledge): every line, full quantity, in the
 * two-section layout.
 */
import { DEFAULT_OUTBOUND, type OutboundOptions } from './delimited.js';
import { addDays, tokenFileName } from './file-name-token.js';
import { renderOutboundOrderFile, type OutboundLine, type OutboundOrderFile } from './two-section.js';

/** ◇ SPEC §4.3: the acknowledgement's item columns and fixed values. */
export const ACK_ITEM_COLUMNS = [
  'line_ref',
  'part_number',
  'quantity',
  'sub_status',
  'fulfillment_route',
  'supplier_dispatch_date',
  'supplier_delivery_date',
  'comment',
];
export const ACK_SUB_STATUS = 'Pending';
export const ACK_FULFILLMENT_ROUTE = 'Direct to Customer';

export interface AcknowledgementLine extends OutboundLine {
  /** yyyy-mm-dd */
  dispatchDate: string;
  /** yyyy-mm-dd */
  deliveryDate: string;
}

export type Acknowledgement = OutboundOrderFile<AcknowledgementLine>;

/** ✔ SPEC §4.3: `order-<token>.ack` (its marker is `order-<token>.ack.DONE`). */
export function acknowledgementFileName(token: string): string {
  return tokenFileName('order-', token, '.ack');
}

/**
 * ◇ SPEC §4.3: dispatch = today (London) + the account's handling days; delivery = dispatch + the
 * account's lead time in days.
 */
export function acknowledgementDates(
  today: string,
  account: { handlingDays: number; leadTimeDays: number },
): { dispatchDate: string; deliveryDate: string } {
  const dispatchDate = addDays(today, account.handlingDays);
  return { dispatchDate, deliveryDate: addDays(dispatchDate, account.leadTimeDays) };
}

export function renderAcknowledgement(ack: Acknowledgement, options: OutboundOptions = DEFAULT_OUTBOUND): Buffer {
  return renderOutboundOrderFile(
    ack,
    ACK_ITEM_COLUMNS,
    (line) => [ACK_SUB_STATUS, ACK_FULFILLMENT_ROUTE, line.dispatchDate, line.deliveryDate, ''],
    options,
  );
}
