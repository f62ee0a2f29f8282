/**
 * `send-refunds` (SPEC §3, §4.4, §5.3): one tracking file per order with recorded, unsent refunds
 * (post-dispatch cancellations). It lists ONLY the refunded lines, quantity = units refunded, status
 * Dispatched, comment REFUND_COMMENT, with the carrier, tracking and dates of the sent shipment that
 * shipped the line (the latest one, when several did).
 */
import type { Context } from '../core/context.js';
import type { StepResult } from '../core/step.js';
import type { OrderUpdate } from '../db/repo/order-updates.js';
import type { Order } from '../db/repo/orders.js';
import { REFUND_COMMENT, renderTracking, trackingFileName, type TrackingLine } from '../formats/tracking.js';
import { supplierRef } from '../formats/supplier-ref.js';
import { trackedLine } from './send-shipments.js';
import { lastShipmentOf, sendOrderUpdates, unitsByLine, type RenderedFile, type UpdateFlow } from './send-updates.js';

export const REFUND_FLOW: UpdateFlow = {
  step: 'send-refunds',
  kind: 'refund',
  flow: 'OrderRefund',
  fileName: trackingFileName,
  render: renderRefund,
};

export function sendRefunds(ctx: Context): Promise<StepResult> {
  return sendOrderUpdates(ctx, REFUND_FLOW);
}

function renderRefund(order: Order, batch: readonly OrderUpdate[], history: readonly OrderUpdate[]): RenderedFile {
  const refunded = unitsByLine(batch);
  // Only sent shipments: a refund is recorded against units The Edge already knows were dispatched.
  const sentShipments = history.filter((update) => update.kind === 'shipment' && update.outboxStatus === 'sent');
  const lines: TrackingLine[] = [];
  for (const line of order.lines) {
    const units = refunded.get(line.id);
    if (units === undefined) continue;
    lines.push(trackedLine(line, units, lastShipmentOf(line.id, line.lineRef, sentShipments), REFUND_COMMENT));
  }
  return {
    content: renderTracking({ orderNumber: order.orderNumber, supplierRef: supplierRef(order.id), lines }),
    rowCount: lines.length,
  };
}
