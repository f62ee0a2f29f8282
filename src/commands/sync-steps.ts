import type { Context } from '../core/context.js';
import type { StepResult } from '../core/step.js';
import type { SyncStep } from '../core/steps.js';

/**
 * How to run each sync step with its defaults (as `sync`, `updates retry` and the send commands run it);
 * each module is loaded only when its step runs.
 */
export const SYNC_STEP_RUNNERS: Record<SyncStep, (ctx: Context) => Promise<StepResult>> = {
  'download-orders': async (ctx) => (await import('./download-orders.js')).downloadOrders(ctx, {}),
  'ack-orders': async (ctx) => (await import('./ack-orders.js')).ackOrders(ctx),
  'push-stock': async (ctx) => (await import('./push-stock.js')).pushStock(ctx, { full: false }),
  'send-shipments': async (ctx) => (await import('./send-shipments.js')).sendShipments(ctx),
  'send-cancels': async (ctx) => (await import('./send-cancels.js')).sendCancels(ctx),
  'send-refunds': async (ctx) => (await import('./send-refunds.js')).sendRefunds(ctx),
};
