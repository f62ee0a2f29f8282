/**
 * The order acknowledgement (SPEC §4.3, outbound, OrderAcknowledge): every line, full quantity, in the
 * two-section layout.
 */
import { DEFAULT_OUTBOUND, renderWholeNumber, type OutboundOptions } from './delimited.js';
import { addDays, assertFileNameToken } from './file-name-token.js';
import { renderTwoSection } from './two-section.js';

/** ◇ SPEC §4.3: the acknowledgement's columns and fixed values. */
export const ACK_ORDER_COLUMNS = ['order_number', 'supplier_ref'];
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

export interface AcknowledgementLine {
  lineRef: string;
  partNumber: string;
  quantity: number;
  /** yyyy-mm-dd */
  dispatchDate: string;
  /** yyyy-mm-dd */
  deliveryDate: string;
}

export interface Acknowledgement {
  orderNumber: string;
  /** jl-edge's own reference for the order (`JLE-` + its id). */
  supplierRef: string;
  lines: AcknowledgementLine[];
}

/** ✔ SPEC §4.3: `order-<token>.ack` (its marker is `order-<token>.ack.DONE`). */
export function acknowledgementFileName(token: string): string {
  assertFileNameToken(token);
  return `order-${token}.ack`;
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
  return renderTwoSection(
    {
      orderColumns: ACK_ORDER_COLUMNS,
      order: [ack.orderNumber, ack.supplierRef],
      itemColumns: ACK_ITEM_COLUMNS,
      items: ack.lines.map((line) => [
        line.lineRef,
        line.partNumber,
        renderWholeNumber(line.quantity, 'quantity'),
        ACK_SUB_STATUS,
        ACK_FULFILLMENT_ROUTE,
        line.dispatchDate,
        line.deliveryDate,
        '',
      ]),
    },
    options,
  );
}
