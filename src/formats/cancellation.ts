/**
 * The cancellation acknowledgement (SPEC §4.5, outbound, CancellationAcknowledgement): lines cancelled
 * before shipment, in the two-section layout.
 */
import { DEFAULT_OUTBOUND, renderWholeNumber, type OutboundOptions } from './delimited.js';
import { assertFileNameToken } from './file-name-token.js';
import { renderTwoSection } from './two-section.js';

/** ◇ SPEC §4.5: the cancellation file's columns. */
export const CANCELLATION_ORDER_COLUMNS = ['order_number', 'supplier_ref'];
export const CANCELLATION_ITEM_COLUMNS = ['line_ref', 'part_number', 'quantity', 'reason', 'comment'];

export interface CancellationLine {
  lineRef: string;
  partNumber: string;
  /** Units cancelled. */
  quantity: number;
  reason: string;
  comment: string | null;
}

export interface Cancellation {
  orderNumber: string;
  supplierRef: string;
  lines: CancellationLine[];
}

/** ◇ SPEC §4.5: `cancel-<token>.ack` (its marker is `cancel-<token>.ack.DONE`). */
export function cancellationFileName(token: string): string {
  assertFileNameToken(token);
  return `cancel-${token}.ack`;
}

export function renderCancellation(cancellation: Cancellation, options: OutboundOptions = DEFAULT_OUTBOUND): Buffer {
  return renderTwoSection(
    {
      orderColumns: CANCELLATION_ORDER_COLUMNS,
      order: [cancellation.orderNumber, cancellation.supplierRef],
      itemColumns: CANCELLATION_ITEM_COLUMNS,
      items: cancellation.lines.map((line) => [
        line.lineRef,
        line.partNumber,
        renderWholeNumber(line.quantity, 'quantity'),
        line.reason,
        line.comment ?? '',
      ]),
    },
    options,
  );
}
