/**
 * `updates list|retry|resend` (SPEC §5.5): the outgoing exchange log, and the two ways a person acts on
 * it. Both re-use the stored name and bytes, so The Edge never sees one update under two names.
 */
import type { Account, PathLabel } from '../core/account.js';
import { forAccount, type Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { runStep, type StepResult } from '../core/step.js';
import type { SyncStep } from '../core/steps.js';
import { isoNow } from '../core/time.js';
import type { OutboxRow, OutboxStatus, OutboxSummary } from '../db/repo/outbox.js';
import { deliverFile } from '../transport/deliver.js';
import { MARKER_SUFFIX } from '../formats/marker.js';
import { joinRemote } from '../transport/transport.js';
import { SYNC_STEP_RUNNERS } from './sync-steps.js';

export interface UpdateView {
  id: number;
  account: string;
  flow: PathLabel;
  order_number: string | null;
  file: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  rows: number | null;
  size: number;
  created_at: string;
  sent_at: string | null;
}

const STATUSES: readonly OutboxStatus[] = ['pending', 'sent', 'failed'];

export async function listUpdates(
  ctx: Context,
  filter: { status?: string; order?: string; limit: number },
): Promise<UpdateView[]> {
  if (filter.status !== undefined && !STATUSES.includes(filter.status as OutboxStatus)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, not "${filter.status}"`);
  }
  const account = ctx.options.account ? await ctx.requireAccount(ctx.options.account) : null;
  const names = new Map((await ctx.listAccounts()).map((a) => [a.id, a.name]));
  const rows = await ctx.repo.outbox.list({
    accountId: account?.id,
    status: filter.status as OutboxStatus | undefined,
    orderNumber: filter.order,
    limit: filter.limit,
  });
  return rows.map((row) => viewUpdate(row, names.get(row.accountId) ?? String(row.accountId)));
}

function viewUpdate(row: OutboxSummary, account: string): UpdateView {
  return {
    id: row.id,
    account,
    flow: row.flow,
    order_number: row.orderNumber,
    file: joinRemote(row.remoteDir, row.remoteName),
    status: row.status,
    attempts: row.attempts,
    last_error: row.lastError,
    rows: row.rowCount,
    size: row.size,
    created_at: row.createdAt,
    sent_at: row.sentAt,
  };
}

/** The step that owns each flow's pending files and knows how to advance the business state. */
const OWNING_STEP: Partial<Record<PathLabel, SyncStep>> = {
  OrderAcknowledge: 'ack-orders',
  OrderShipment: 'send-shipments',
  CancellationAcknowledgement: 'send-cancels',
  OrderRefund: 'send-refunds',
};

export interface RetryResult {
  command: 'updates retry';
  update: UpdateView;
  /** The run of the owning step that sent it (with its lock and run-log row). */
  run: StepResult;
}

/**
 * A failed update is queued again (same name, same bytes, a fresh attempt budget) and the step that owns
 * its flow runs at once for that account, so the business state advances exactly as it would have.
 */
export async function retryUpdate(ctx: Context, id: number): Promise<RetryResult> {
  const { row, account } = await loadUpdate(ctx, id);
  const step = OWNING_STEP[row.flow];
  if (!step)
    throw new UsageError(`update ${id} is an inventory file: push-stock builds a fresh one on its next run instead`);
  if (row.status !== 'failed')
    throw new UsageError(
      `update ${id} is ${row.status}, not failed: ${row.status === 'sent' ? `use jl-edge updates resend ${id}` : 'the next run sends it'}`,
    );
  await refuseWhileOrderHasFileInFlight(ctx, row, 'retry');
  if (!ctx.options.dryRun) await ctx.repo.outbox.requeue(id, isoNow(ctx.clock));
  const run = await SYNC_STEP_RUNNERS[step](forAccount(ctx, account));
  const after = (await ctx.repo.outbox.findById(id))!;
  return { command: 'updates retry', update: viewUpdate(after, account.name), run };
}

/**
 * A sent update is uploaded again under its original name, for when The Edge lost it. Nothing else
 * changes: its units were counted when it was first sent.
 */
export async function resendUpdate(ctx: Context, id: number): Promise<StepResult> {
  const { row, account } = await loadUpdate(ctx, id);
  if (row.status !== 'sent')
    throw new UsageError(
      `update ${id} is ${row.status}, not sent: ${row.status === 'failed' ? `use jl-edge updates retry ${id}` : 'the next run sends it'}`,
    );
  if (row.content === null)
    throw new UsageError(`update ${id} has no stored content (an inventory file, or pruned): it cannot be resent`);
  await refuseWhileOrderHasFileInFlight(ctx, row, 'resend');
  const content = row.content;
  const remotePath = joinRemote(row.remoteDir, row.remoteName);
  return runStep(
    forAccount(ctx, account),
    'updates',
    async ({ transport }) => {
      if (ctx.options.dryRun) return { counts: { resent: 0 }, errors: [], details: { would_resend: remotePath } };
      // The Edge may have removed the file after reading it, or kept a copy: start from nothing, marker
      // first, so The Edge never sees a marker beside a half-written file.
      if (row.marker) await transport.delete(remotePath + MARKER_SUFFIX);
      await transport.delete(remotePath);
      await deliverFile(transport, remotePath, content, { marker: row.marker });
      await ctx.repo.outbox.recordResend(id, isoNow(ctx.clock));
      return { counts: { resent: 1 }, errors: [], details: { resent: remotePath } };
    },
    { transport: !ctx.options.dryRun },
  );
}

/**
 * One update in flight per order (SPEC §3): while another file of the same order is pending, putting this
 * one on the server as well could let The Edge read the two in either order, so the pending one goes first.
 */
async function refuseWhileOrderHasFileInFlight(ctx: Context, row: OutboxRow, verb: 'retry' | 'resend'): Promise<void> {
  if (row.orderId === null) return;
  const inFlight = (await ctx.repo.outbox.listByOrder(row.orderId)).find(
    (other) => other.status === 'pending' && other.id !== row.id,
  );
  if (inFlight) {
    throw new UsageError(
      `update ${row.id} waits: ${inFlight.remoteName} (update ${inFlight.id}) for the same order is still being sent; ${verb} once it is sent or failed`,
    );
  }
}

async function loadUpdate(ctx: Context, id: number): Promise<{ row: OutboxRow; account: Account }> {
  const row = await ctx.repo.outbox.findById(id);
  const account = row ? (await ctx.listAccounts()).find((a) => a.id === row.accountId) : undefined;
  if (!row || !account) throw new UsageError(`no update with id ${id} (jl-edge updates list shows them)`);
  if (ctx.options.account && ctx.options.account !== account.name)
    throw new UsageError(`update ${id} belongs to account "${account.name}", not "${ctx.options.account}"`);
  return { row, account };
}
