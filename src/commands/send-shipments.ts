/**
 * `send-shipments` (SPEC §4.4, §5.3): one tracking file per order with recorded, unsent shipments. ✔ The
 * file lists EVERY shipped line with its full shipped quantity so far (sent before, plus this file's), status
 * Dispatched; each line carries the carrier, tracking and dates of the shipment that last shipped it.
 */
import type { Context } from '../core/context.js';
import type { StepResult } from '../core/step.js';
import type { OrderUpdate } from '../db/repo/order-updates.js';
import type { Order, OrderLine } from '../db/repo/orders.js';
import { renderTracking, trackingFileName, type TrackingLine } from '../formats/tracking.js';
import { supplierRef } from '../formats/supplier-ref.js';
import { lastShipmentOf, sendOrderUpdates, unitsByLine, type RenderedFile, type UpdateFlow } from './send-updates.js';

export const SHIPMENT_FLOW: UpdateFlow = {
  step: 'send-shipments',
  kind: 'shipment',
  flow: 'OrderShipment',
  fileName: trackingFileName,
  render: renderShipment,
};

export function sendShipments(ctx: Context): Promise<StepResult> {
  return sendOrderUpdates(ctx, SHIPMENT_FLOW);
}

function renderShipment(order: Order, batch: readonly OrderUpdate[], history: readonly OrderUpdate[]): RenderedFile {
  const shippingNow = unitsByLine(batch);
  // The shipments that count: those already on The Edge's server, and this batch.
  const shipments = [
    ...history.filter((update) => update.kind === 'shipment' && update.outboxStatus === 'sent'),
    ...batch,
  ];
  const lines: TrackingLine[] = [];
  for (const line of order.lines) {
    const shipped = line.shippedQuantity + (shippingNow.get(line.id) ?? 0);
    if (shipped === 0) continue;
    lines.push(trackedLine(line, shipped, lastShipmentOf(line.id, line.lineRef, shipments), null));
  }
  return {
    content: renderTracking({ orderNumber: order.orderNumber, supplierRef: supplierRef(order.id), lines }),
    rowCount: lines.length,
  };
}

/** A tracking-file line: `quantity` units of an order line, with the carrier, tracking and dates of `shipment`. */
export function trackedLine(
  line: OrderLine,
  quantity: number,
  shipment: OrderUpdate,
  comment: string | null,
): TrackingLine {
  return {
    lineRef: line.lineRef,
    partNumber: line.partNumber,
    quantity,
    carrier: shipment.carrier ?? '',
    trackingNumber: shipment.trackingNumber ?? '',
    trackingUrl: shipment.trackingUrl,
    dispatchDate: shipment.dispatchDate ?? '',
    deliveryDate: shipment.deliveryDate ?? '',
    comment,
  };
}
