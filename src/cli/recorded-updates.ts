/** Human lines for recorded shipments, cancellations and refunds (recording commands, import-shipments, orders show). */
import type { RecordedUpdate, RecordedUpdateView } from '../commands/record-update.js';

type UpdateFacts = Pick<
  RecordedUpdate,
  'kind' | 'carrier' | 'tracking_number' | 'dispatch_date' | 'delivery_date' | 'reason' | 'amount'
> & {
  lines: { line_ref: string; quantity: number }[];
};

/** "line 1 x2, line 3 x1 (dpd 1550…, dispatched 2026-03-02, delivery 2026-03-05)" */
export function describeUpdate(update: UpdateFacts): string {
  const lines = update.lines.map((line) => `line ${line.line_ref} x${line.quantity}`).join(', ');
  const facts =
    update.kind === 'shipment'
      ? `${update.carrier} ${update.tracking_number}, dispatched ${update.dispatch_date}, delivery ${update.delivery_date}`
      : `reason: ${update.reason}${update.amount ? `, amount ${update.amount}` : ''}`;
  return `${lines} (${facts})`;
}

const SEND_STEP: Record<RecordedUpdate['kind'], string> = {
  shipment: 'send-shipments',
  cancellation: 'send-cancels',
  refund: 'send-refunds',
};

export function sendStepOf(kind: RecordedUpdate['kind']): string {
  return SEND_STEP[kind];
}

/** The `recorded:` block of `orders show`. */
export function recordedUpdateLines(views: readonly RecordedUpdateView[]): string[] {
  if (views.length === 0) return [];
  return [
    '  recorded:',
    ...views.map((view) => {
      const where =
        view.state === 'waiting' ? `not sent yet (${SEND_STEP[view.kind]} sends it)` : `${view.state}: ${view.file}`;
      return `    ${view.kind} ${view.id}: ${describeUpdate(view)}: ${where}`;
    }),
  ];
}
