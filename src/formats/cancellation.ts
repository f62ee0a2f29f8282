/**
 * The cancellation acknowledgement (SPEC §4.5, outbound, CancellationAcknowledgement): lines cancelled
 * before shipment, in the two-section layout.
 */
import { DEFAULT_OUTBOUND, type OutboundOptions } from './delimited.js';
import { tokenFileName } from './file-name-token.js';
import { renderOutboundOrderFile, type OutboundLine, type OutboundOrderFile } from './two-section.js';

/** ◇ SPEC §4.5: the cancellation file's item columns. */
export const CANCELLATION_ITEM_COLUMNS = ['line_ref', 'part_number', 'quantity', 'reason', 'comment'];

/** `quantity`: the units cancelled. */
export interface CancellationLine extends OutboundLine {
  reason: string;
  comment: string | null;
}

export type Cancellation = OutboundOrderFile<CancellationLine>;

/** ◇ SPEC §4.5: `cancel-<token>.ack` (its marker is `cancel-<token>.ack.DONE`). */
export function cancellationFileName(token: string): string {
  return tokenFileName('cancel-', token, '.ack');
}

export function renderCancellation(cancellation: Cancellation, options: OutboundOptions = DEFAULT_OUTBOUND): Buffer {
  return renderOutboundOrderFile(
    cancellation,
    CANCELLATION_ITEM_COLUMNS,
    (line) => [line.reason, line.comment ?? ''],
    options,
  );
}
