/**
 * `send-cancels` (SPEC §4.5, §5.3): one cancellation acknowledgement per order with recorded, unsent
 * pre-shipment cancellations, listing the cancelled units per line. ◇ When several cancellations of one
 * line go out in the same file, the line appears once with their units added and their distinct reasons
 * joined by "; ".
 */
import type { Context } from '../core/context.js';
import type { StepResult } from '../core/step.js';
import type { OrderUpdate } from '../db/repo/order-updates.js';
import type { Order } from '../db/repo/orders.js';
import { cancellationFileName, renderCancellation, type CancellationLine } from '../formats/cancellation.js';
import { supplierRef } from '../formats/supplier-ref.js';
import { sendOrderUpdates, unitsByLine, type RenderedFile, type UpdateFlow } from './send-updates.js';

export const CANCELLATION_FLOW: UpdateFlow = {
  step: 'send-cancels',
  kind: 'cancellation',
  flow: 'CancellationAcknowledgement',
  fileName: cancellationFileName,
  render: renderCancellationFile,
};

export function sendCancels(ctx: Context): Promise<StepResult> {
  return sendOrderUpdates(ctx, CANCELLATION_FLOW);
}

function renderCancellationFile(order: Order, batch: readonly OrderUpdate[]): RenderedFile {
  const cancelled = unitsByLine(batch);
  const lines: CancellationLine[] = [];
  for (const line of order.lines) {
    const units = cancelled.get(line.id);
    if (units === undefined) continue;
    const reasons = batch
      .filter((update) => update.lines.some((l) => l.lineId === line.id))
      .map((update) => update.reason ?? '');
    lines.push({
      lineRef: line.lineRef,
      partNumber: line.partNumber,
      quantity: units,
      reason: [...new Set(reasons)].join('; '),
      comment: null,
    });
  }
  return {
    content: renderCancellation({ orderNumber: order.orderNumber, supplierRef: supplierRef(order.id), lines }),
    rowCount: lines.length,
  };
}
