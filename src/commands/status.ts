import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isLockStale } from '../core/step.js';
import { SYNC_STEPS, isSyncStep, staleAfterMinutes } from '../core/steps.js';
import { minutesSince, UNSENT_UPDATE_ALERT_MINUTES } from '../core/date-watch.js';
import type { OrderStatus } from '../db/repo/orders.js';
import type { IncompleteOrder, OpenStockError, ReceivedOrder, UpdateAttention } from '../db/repo/status.js';
import { dueLines, viewDueLine, type DueLineView } from './due-lines.js';

export interface StepState {
  step: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  outcome: string;
  exit_code: number | null;
  counts: Record<string, number>;
  error: string | null;
  /** Runs since this one that did nothing because another run held the lock (exit 75). */
  skipped_locked: number;
  /** When a run of the step last completed its work (`ok` or `partial`). */
  last_completed_at: string | null;
  /** The threshold in force for a sync step (null: not a sync step, or never stale). */
  stale_after_minutes: number | null;
  /** True when the step has not completed for longer than its threshold. */
  stale: boolean;
}

export interface LockState {
  step: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_at: string;
  stale: boolean;
}

export interface AccountStatus {
  account: string;
  enabled: boolean;
  steps: StepState[];
  orders: Record<string, number>;
  incomplete_orders: { order_number: string; created_at: string; errors: IncompleteOrder['errors'] }[];
  updates: {
    id: number;
    flow: string;
    order_number: string | null;
    file: string;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: string;
  }[];
  recorded_unsent: Record<string, number>;
  /** The newest open stock errors (at most 50). */
  stock_errors: { part_number: string; sku: string | null; message: string; created_at: string }[];
  /** Every open stock error, counted. */
  stock_errors_open: number;
  rejected_files: { file: string; status: string; error: string | null; received_at: string }[];
  /** Customer cancellation requests not answered yet, oldest first (SPEC §4.8). */
  cancel_requests: OpenCancelRequest[];
  locks: LockState[];
  /** SPEC §5.8: per destination and per inbox, how the warehouse round trip is doing. */
  warehouse: {
    destinations: {
      destination: string;
      files_waiting: number;
      files_failing: number;
      last_error: string | null;
      last_file: string | null;
      last_written_at: string | null;
    }[];
    inboxes: {
      inbox: string;
      step: string;
      last_file_at: string;
      files_processed: number;
      files_failed: number;
      /** Files the step's last run found still being written. */
      files_waiting: number;
    }[];
  };
  /** SPEC §5.5: the dates John Lewis holds the seller to. */
  dates: DateWatch;
  /** Why a person is needed, one sentence each; empty when all is well. */
  attention: string[];
}

export interface DateWatch {
  ack_alert_minutes: number;
  acknowledgements_overdue: { order_number: string; received_at: string; minutes_waiting: number }[];
  lines_late: DueLineView[];
  lines_due_today: DueLineView[];
  /** Recorded longer than UNSENT_UPDATE_ALERT_MINUTES ago and still not sent. */
  updates_unsent: { kind: string; order_number: string; recorded_at: string; minutes_waiting: number }[];
  /** The order waiting longest for its acknowledgement, overdue or not; null when none waits. */
  oldest_awaiting_ack: ReceivedOrderView | null;
  /** The acknowledged order not (fully) dispatched that was received first; null when there is none. */
  oldest_awaiting_dispatch: ReceivedOrderView | null;
}

export interface ReceivedOrderView {
  order_number: string;
  received_at: string;
}

export interface OpenCancelRequest {
  order_number: string;
  file: string;
  received_at: string;
  /** Whole minutes since it was received. */
  open_minutes: number;
  lines: { line_ref: string; quantity: number }[];
  /** Why it does not (fully) apply yet: its order has not arrived, or a line is unknown. */
  problem: string | null;
}

export interface StatusResult {
  command: 'status';
  generated_at: string;
  needs_attention: boolean;
  accounts: AccountStatus[];
}

/**
 * Answers "is everything flowing, and if not, why?" per account. A step that could not run, a failed
 * update, an incomplete order or a stale lock needs a person (the CLI exits 1 for them).
 */
export async function status(ctx: Context): Promise<StatusResult> {
  const all = await ctx.listAccounts();
  const accounts = ctx.options.account ? all.filter((a) => a.name === ctx.options.account) : all;
  if (ctx.options.account && accounts.length === 0) await ctx.requireAccount(ctx.options.account);
  if (accounts.length === 0)
    throw new UsageError('no accounts yet: add one with `jl-edge accounts add` (or run `npm run demo`)');
  const locks = await ctx.repo.locks.list();
  const nowMs = ctx.clock.now().getTime();
  const result: StatusResult = {
    command: 'status',
    generated_at: ctx.clock.now().toISOString(),
    needs_attention: false,
    accounts: [],
  };

  for (const account of accounts) {
    const steps = await stepStates(ctx, account, nowMs);
    const incomplete = await ctx.repo.status.incompleteOrders(account.id);
    const updates = await ctx.repo.status.unsentUpdates(account.id);
    const stockErrors = await ctx.repo.status.openStockErrors(account.id);
    const cancelRequests = (await ctx.repo.cancelRequests.listOpen(account.id)).map((request): OpenCancelRequest => ({
      order_number: request.orderNumber,
      file: request.fileName,
      received_at: request.receivedAt,
      open_minutes: Math.max(0, Math.floor((nowMs - Date.parse(request.receivedAt)) / 60_000)),
      lines: request.lines.map((line) => ({ line_ref: line.lineRef, quantity: line.quantity })),
      problem: request.problem,
    }));
    const accountLocks: LockState[] = locks
      .filter((l) => l.account === account.name)
      .map((l) => ({
        step: l.step,
        pid: l.pid,
        host: l.host,
        acquired_at: l.acquiredAt,
        heartbeat_at: l.heartbeatAt,
        stale: isLockStale(l, ctx.host, nowMs, ctx.lockStaleMs),
      }));

    const destinations = await ctx.repo.destinations.activity(account.id);
    const inboxSteps: Record<string, string> = {
      WarehouseShipments: 'import-shipments',
      WarehouseProducts: 'import-products',
    };
    const warehouse: AccountStatus['warehouse'] = {
      destinations: destinations.map((d) => ({
        destination: d.destination,
        files_waiting: d.pending,
        files_failing: d.failing,
        last_error: d.lastError,
        last_file: d.lastFile,
        last_written_at: d.lastWrittenAt,
      })),
      inboxes: (await ctx.repo.destinations.inboxActivity(account.id)).map((inbox) => {
        const step = inboxSteps[inbox.flow] ?? inbox.flow;
        return {
          inbox: inbox.folder,
          step,
          last_file_at: inbox.lastFileAt,
          files_processed: inbox.processed,
          files_failed: inbox.failed,
          files_waiting: steps.find((s) => s.step === step)?.counts.waiting ?? 0,
        };
      }),
    };

    const dates = await watchDates(ctx, account);
    const inboxRejections = await ctx.repo.inbound.unhandledInboxRejections(account.id);
    const attention = [
      // The warehouse's shipments or stock in that file were not recorded: someone must look, once.
      ...inboxRejections.map(
        (f) =>
          `inbox file ${f.remoteName} (${inboxSteps[f.flow] ?? f.flow} --from ${f.remoteDir}) was rejected: ${(f.error ?? 'no error recorded').split('\n')[0]} — ` +
          `the file and its reasons are in failed/; once dealt with: jl-edge inbox dismiss ${f.remoteName} --reason …`,
      ),
      ...destinations
        .filter((d) => d.failing > 0)
        .map((d) => `${d.failing} file(s) for destination ${d.destination} could not be written: ${d.lastError ?? ''}`),
      // A step that could not do its job (no connection, a folder it cannot list) stops the flow until fixed.
      ...steps
        .filter((s) => s.outcome === 'failed')
        .map((s) => `the last ${s.step} run failed (exit ${s.exit_code}): ${s.error ?? 'no error recorded'}`),
      ...steps
        .filter((s) => s.outcome === 'error')
        .map(
          (s) =>
            `the last ${s.step} run stopped on an internal error (exit ${s.exit_code}): ${s.error ?? 'no error recorded'} — run it again with --verbose and report the stack`,
        ),
      // Only while the account is enabled: a disabled account is not expected to run.
      ...(account.enabled ? steps.filter((s) => s.stale).map((s) => describeStaleStep(s, account.name)) : []),
      ...updates.filter((u) => u.status === 'failed').map(describeFailedUpdate),
      ...incomplete.map(
        (o) =>
          `order ${o.orderNumber} is incomplete: ${
            o.errors
              .filter((e) => e.severity === 'high')
              .map((e) => e.message)
              .join('; ') || 'no error recorded'
          }`,
      ),
      // A customer waits for an answer, and the warehouse may not ship the units meanwhile.
      ...cancelRequests
        .filter((request) => request.open_minutes >= account.cancelRequestAlertMinutes)
        .map(
          (request) =>
            `order ${request.order_number}: the customer's cancellation request ${request.file} has been open for ${request.open_minutes} minutes` +
            (request.problem
              ? ` (${request.problem})`
              : `: jl-edge orders accept-cancel ${request.order_number}, or orders reject-cancel ${request.order_number} --reason …`),
        ),
      ...accountLocks
        .filter((l) => l.stale)
        .map(
          (l) =>
            `stale lock on ${l.step} (pid ${l.pid} on ${l.host}, last heartbeat ${l.heartbeat_at}): jl-edge unlock ${l.step} --account ${account.name}`,
        ),
      ...dates.acknowledgements_overdue.map(
        (o) =>
          `order ${o.order_number} has waited ${o.minutes_waiting} minutes for its acknowledgement (alert after ${dates.ack_alert_minutes}): is ack-orders running?`,
      ),
      ...dates.lines_late.map(
        (l) =>
          `order ${l.order_number} line ${l.line_ref}${l.sku ? ` (${l.sku})` : ''} is late: ${l.open_quantity} unit(s) were due for dispatch on ${l.due_date} (${l.due_from})`,
      ),
      ...dates.updates_unsent.map(
        (u) =>
          `a ${u.kind} of order ${u.order_number} recorded ${u.minutes_waiting} minutes ago is not sent yet (jl-edge orders show ${u.order_number})`,
      ),
    ];
    result.accounts.push({
      account: account.name,
      enabled: account.enabled,
      steps,
      orders: await ctx.repo.status.ordersPerStatus(account.id),
      incomplete_orders: incomplete.map((o) => ({
        order_number: o.orderNumber,
        created_at: o.createdAt,
        errors: o.errors,
      })),
      updates: updates.map(viewUpdate),
      recorded_unsent: await ctx.repo.status.recordedUnsent(account.id),
      stock_errors: stockErrors.map(viewStockError),
      stock_errors_open: await ctx.repo.status.countOpenStockErrors(account.id),
      rejected_files: (await ctx.repo.status.rejectedFiles(account.id)).map((f) => ({
        file: f.remoteName,
        status: f.status,
        error: f.error,
        received_at: f.receivedAt,
      })),
      cancel_requests: cancelRequests,
      locks: accountLocks,
      warehouse,
      dates,
      attention,
    });
    if (attention.length > 0) result.needs_attention = true;
  }
  return result;
}

async function watchDates(ctx: Context, account: Account): Promise<DateWatch> {
  const now = ctx.clock.now();
  const minutesAgo = (minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();
  const lines = await dueLines(ctx, account);
  return {
    ack_alert_minutes: account.ackAlertMinutes,
    acknowledgements_overdue: (
      await ctx.repo.status.awaitingAckSince(account.id, minutesAgo(account.ackAlertMinutes))
    ).map((o) => ({
      order_number: o.orderNumber,
      received_at: o.receivedAt,
      minutes_waiting: minutesSince(o.receivedAt, now),
    })),
    lines_late: lines.filter((l) => l.due === 'late').map(viewDueLine),
    lines_due_today: lines.filter((l) => l.due === 'due_today').map(viewDueLine),
    updates_unsent: (await ctx.repo.status.updatesUnsentSince(account.id, minutesAgo(UNSENT_UPDATE_ALERT_MINUTES))).map(
      (u) => ({
        kind: u.kind,
        order_number: u.orderNumber,
        recorded_at: u.recordedAt,
        minutes_waiting: minutesSince(u.recordedAt, now),
      }),
    ),
    oldest_awaiting_ack: viewReceivedOrder(await ctx.repo.status.oldestOrderIn(account.id, ['awaiting_ack'])),
    oldest_awaiting_dispatch: viewReceivedOrder(await ctx.repo.status.oldestOrderIn(account.id, AWAITING_DISPATCH)),
  };
}

/** Acknowledged and not yet dispatched in full: the warehouse's queue. */
const AWAITING_DISPATCH: readonly OrderStatus[] = ['ready_to_ship', 'partially_shipped'];

function viewReceivedOrder(order: ReceivedOrder | null): ReceivedOrderView | null {
  return order && { order_number: order.orderNumber, received_at: order.receivedAt };
}

/** The last run of every sync step (and of any other step that ran), with its staleness. */
async function stepStates(ctx: Context, account: Account, nowMs: number): Promise<StepState[]> {
  const lastRuns = await ctx.repo.runs.lastPerStep(account.id);
  const skipped = await ctx.repo.runs.lockedSkipsPerStep(account.id);
  const completed = await ctx.repo.runs.lastCompletedPerStep(account.id);
  // A step that never completed is stale once sync steps have run for longer than its threshold:
  // before the first one, jl-edge is simply not installed in cron yet.
  const since = await ctx.repo.runs.firstStartedAt(account.id, SYNC_STEPS);
  const knownSteps = [
    ...SYNC_STEPS,
    ...[...lastRuns.map((r) => r.step), ...Object.keys(skipped)].filter((s) => !isSyncStep(s)),
  ];
  return [...new Set(knownSteps)].map((step) => {
    const run = lastRuns.find((r) => r.step === step);
    const threshold = isSyncStep(step) ? staleAfterMinutes(account.staleAfterMinutes, step) : null;
    const lastCompleted = completed[step] ?? null;
    const reference = lastCompleted ?? since;
    return {
      step,
      started_at: run?.startedAt ?? null,
      ended_at: run?.endedAt ?? null,
      duration_ms: run?.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : null,
      outcome: run ? (run.outcome ?? 'running') : 'never run',
      exit_code: run?.exitCode ?? null,
      counts: run?.counts ?? {},
      error: run?.error ?? null,
      skipped_locked: skipped[step] ?? 0,
      last_completed_at: lastCompleted,
      stale_after_minutes: threshold,
      stale: threshold !== null && reference !== null && nowMs - Date.parse(reference) > threshold * 60_000,
    };
  });
}

function describeStaleStep(s: StepState, account: string): string {
  const since = s.last_completed_at
    ? `since ${s.last_completed_at}`
    : 'since sync steps started running for this account';
  return `${s.step} has not completed a run ${since}, longer than its ${s.stale_after_minutes} minutes: is cron running it on a live host? (crontab -l, jl-edge.log; jl-edge accounts set-stale-after ${account} ${s.step} <minutes> changes the limit)`;
}

function describeFailedUpdate(u: UpdateAttention): string {
  return `${u.flow} ${u.remoteName}${u.orderNumber ? ` for order ${u.orderNumber}` : ''} failed after ${u.attempts} attempts: ${u.lastError ?? 'unknown error'} (jl-edge updates retry ${u.id})`;
}

function viewUpdate(u: UpdateAttention): AccountStatus['updates'][number] {
  return {
    id: u.id,
    flow: u.flow,
    order_number: u.orderNumber,
    file: u.remoteName,
    status: u.status,
    attempts: u.attempts,
    last_error: u.lastError,
    created_at: u.createdAt,
  };
}

function viewStockError(e: OpenStockError): AccountStatus['stock_errors'][number] {
  return { part_number: e.partNumber, sku: e.sku, message: e.message, created_at: e.createdAt };
}
