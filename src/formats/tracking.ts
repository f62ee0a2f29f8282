/**
 * The tracking file (SPEC §4.4, outbound, OrderShipment and OrderRefund), in the two-section layout.
 * A shipment lists every shipped line with its full shipped quantity so far; a refund (post-dispatch
 * cancellation) lists only the refunded lines, with `comment` = REFUND_COMMENT and quantity = units refunded.
 */
import { DEFAULT_OUTBOUND, type OutboundOptions } from './delimited.js';
import { addDays, tokenFileName } from './file-name-token.js';
import { renderOutboundOrderFile, type OutboundLine, type OutboundOrderFile } from './two-section.js';

/** ◇ SPEC §4.4: the tracking file's item columns. */
export const TRACKING_ITEM_COLUMNS = [
  'line_ref',
  'part_number',
  'quantity',
  'status',
  'carrier',
  'tracking_number',
  'tracking_url',
  'supplier_dispatch_date',
  'supplier_delivery_date',
  'comment',
];
/** ✔ SPEC §4.4: shipped and refunded lines alike carry status `Dispatched`. */
export const DISPATCHED_STATUS = 'Dispatched';
/** ◇ SPEC §3/§4.4: the comment that turns a tracking line into a post-dispatch cancellation. */
export const REFUND_COMMENT = 'CANCELLED POST-DISPATCH';

export interface TrackingLine extends OutboundLine {
  /** The Edge's carrier code (`dpd`, `royal-mail` …). */
  carrier: string;
  trackingNumber: string;
  trackingUrl: string | null;
  /** yyyy-mm-dd */
  dispatchDate: string;
  /** yyyy-mm-dd */
  deliveryDate: string;
  /** REFUND_COMMENT for a refund line, null (an empty field) for a shipment. */
  comment: string | null;
}

export type TrackingUpdate = OutboundOrderFile<TrackingLine>;

/** ◇ SPEC §4.4: `tracking-<token>.txt` (its marker is `tracking-<token>.txt.DONE`). */
export function trackingFileName(token: string): string {
  return tokenFileName('tracking-', token, '.txt');
}

/**
 * SPEC §4.4: the delivery date of a shipment with no `--delivery-date`: dispatch + (lead time − handling
 * days), since the acknowledgement promised delivery lead-time days after its own dispatch date.
 * ◇ Never before the dispatch date, even when handling days exceed the lead time.
 */
export function shipmentDeliveryDate(
  dispatchDate: string,
  account: { leadTimeDays: number; handlingDays: number },
): string {
  return addDays(dispatchDate, Math.max(0, account.leadTimeDays - account.handlingDays));
}

export function renderTracking(update: TrackingUpdate, options: OutboundOptions = DEFAULT_OUTBOUND): Buffer {
  return renderOutboundOrderFile(
    update,
    TRACKING_ITEM_COLUMNS,
    (line) => [
      DISPATCHED_STATUS,
      line.carrier,
      line.trackingNumber,
      line.trackingUrl ?? '',
      line.dispatchDate,
      line.deliveryDate,
      line.comment ?? '',
    ],
    options,
  );
}
