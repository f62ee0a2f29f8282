/**
 * `ack-orders` (SPEC §4.3, §5.3): acknowledges every `awaiting_ack` order through the outbox. The
 * acknowledgement is rendered and stored under its final name first; the upload comes after, so a run
 * that dies in between is finished by the next one with the same name and bytes.
 */
import type { Context } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import { faultCrash, faultPause } from '../core/fault-injection.js';
import { outgoingFileNames, sendPendingOutbox } from '../core/outbox-sender.js';
import { runStep, type AccountWork, type ItemError, type StepResult, type StepScope } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { OrderToAcknowledge } from '../db/repo/orders.js';
import type { NewOutboxFile } from '../db/repo/outbox.js';
import { acknowledgementDates, acknowledgementFileName, renderAcknowledgement } from '../formats/acknowledgement.js';
import { londonDate } from '../formats/file-name-token.js';
import { supplierRef } from '../formats/supplier-ref.js';
import { joinRemote } from '../transport/transport.js';

const FLOW = 'OrderAcknowledge';

/** A file as a dry run shows it. */
export interface PlannedFile {
  order_number: string | null;
  remote_path: string;
  /** true: stored by an earlier run and not yet delivered; false: would be rendered now. */
  resend: boolean;
  content: string;
}

export async function ackOrders(ctx: Context): Promise<StepResult> {
  const dryRun = ctx.options.dryRun;
  // A dry run only renders: it has nothing to ask the server.
  return runStep(ctx, 'ack-orders', (scope) => (dryRun ? planAcknowledgements(ctx, scope) : acknowledge(ctx, scope)), {
    transport: !dryRun,
  });
}

async function acknowledge(ctx: Context, scope: StepScope): Promise<AccountWork> {
  await faultPause('pause-after-lock', ctx.env);
  const { files, errors } = await renderAcknowledgements(ctx, scope);
  if (files.length > 0) {
    await ctx.repo.transaction((repo) => repo.outbox.insertPendingMany(files, repo.batchSize));
  }
  faultCrash('after-claim', ctx.env);
  const sent = await sendPendingOutbox(ctx, {
    ...scope,
    flow: FLOW,
    onSent: (repo, rows, sentAt) =>
      repo.orders.markAcknowledgedMany(
        rows.map((row) => row.orderId!),
        sentAt,
        repo.batchSize,
      ),
  });
  return {
    counts: { sent: sent.sent, failed: sent.failed, pending: sent.pending },
    errors: [...errors, ...sent.errors],
  };
}

async function planAcknowledgements(ctx: Context, scope: StepScope): Promise<AccountWork> {
  const { files, errors } = await renderAcknowledgements(ctx, scope);
  const planned: PlannedFile[] = [];
  for (const row of await ctx.repo.outbox.listPending(scope.account.id, FLOW)) {
    planned.push({
      order_number: row.orderNumber,
      remote_path: joinRemote(row.remoteDir, row.remoteName),
      resend: true,
      content: row.content?.toString('utf8') ?? '',
    });
  }
  for (const file of files) {
    planned.push({
      order_number: file.orderNumber,
      remote_path: joinRemote(file.remoteDir, file.remoteName),
      resend: false,
      content: file.file.content?.toString('utf8') ?? '',
    });
  }
  // Nothing is stored or sent: every file stays to be sent.
  return { counts: { sent: 0, failed: 0, pending: planned.length }, errors, details: { files: planned } };
}

/** Renders the acknowledgement of every order that may get one now, ready for the outbox. */
async function renderAcknowledgements(
  ctx: Context,
  { account }: StepScope,
): Promise<{ files: (NewOutboxFile & { orderNumber: string })[]; errors: ItemError[] }> {
  const orders = await ctx.repo.orders.listToAcknowledge(account.id);
  const remoteDir = account.paths.OrderAcknowledge;
  const nextName = await outgoingFileNames(ctx.repo, account.id, remoteDir, ctx.clock, acknowledgementFileName);
  const { dispatchDate, deliveryDate } = acknowledgementDates(londonDate(ctx.clock.now()), account);
  const now = isoNow(ctx.clock);
  const files: (NewOutboxFile & { orderNumber: string })[] = [];
  const errors: ItemError[] = [];
  for (const order of orders) {
    try {
      files.push({
        accountId: account.id,
        flow: FLOW,
        orderId: order.id,
        orderNumber: order.orderNumber,
        remoteDir,
        remoteName: nextName(),
        marker: true,
        rowCount: order.lines.length,
        now,
        file: { content: renderAcknowledgement(acknowledgementOf(order, dispatchDate, deliveryDate)) },
      });
    } catch (err) {
      // A stored order that cannot be rendered is a bug or a damaged row: report it, acknowledge the rest.
      errors.push({ order: order.orderNumber, message: `cannot render the acknowledgement: ${errorMessage(err)}` });
    }
  }
  return { files, errors };
}

/** ✔ SPEC §4.3: every line, full quantity. */
function acknowledgementOf(order: OrderToAcknowledge, dispatchDate: string, deliveryDate: string) {
  return {
    orderNumber: order.orderNumber,
    supplierRef: supplierRef(order.id),
    lines: order.lines.map((line) => ({
      lineRef: line.lineRef,
      partNumber: line.partNumber,
      quantity: line.quantity,
      dispatchDate,
      deliveryDate,
    })),
  };
}
