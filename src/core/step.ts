import type { Account } from './account.js';
import type { Context } from './context.js';
import { ExitCode, JlEdgeError, describeError, errorMessage, exitCodeOf, worstExitCode } from './errors.js';
import { checkPingUrl, startHeartbeat } from './heartbeat.js';
import { mapConcurrently } from './parallel.js';
import { processAlive } from './process.js';
import { isoNow } from './time.js';
import type { LockHolder, RunOutcome } from './run-log.js';
import type { Transport } from '../transport/transport.js';

/** A problem with one item (a file, a row, an order, an upload): the run goes on. */
export interface ItemError {
  message: string;
  file?: string;
  line?: number;
  column?: string;
  order?: string;
  /** Set when the step could not do part of its job (a folder it cannot list): the run needs a person. */
  stepFailed?: boolean;
}

/** What a step's per-account work reports back. */
export interface AccountWork {
  counts: Record<string, number>;
  errors: ItemError[];
  /** Step-specific facts for --json and --dry-run (e.g. the rows that would be sent). */
  details?: Record<string, unknown>;
  /**
   * The lock was held by a live run younger than the stale interval: cron's normal overlap of a slow run
   * and the next one, exit 75 with nothing to say under --quiet.
   */
  routineOverlap?: boolean;
}

export interface AccountOutcome extends AccountWork {
  account: string;
  ok: boolean;
  exitCode: number;
}

export interface StepResult {
  command: string;
  exitCode: number;
  accounts: AccountOutcome[];
}

export interface StepScope {
  account: Account;
  /** Present when the step asked for one; opened after the lock, closed by the runner. */
  transport: Transport;
  /** Epoch ms after which the run must give up (SPEC §6.5); the SFTP transport enforces it too. */
  deadline: number;
}

/** Heartbeats come often enough that a live holder never looks stale. */
const heartbeatMs = (staleMs: number): number => Math.min(5_000, staleMs / 4);

/**
 * Runs one sync step for every selected account, `--concurrency` of them at a time: lock (SPEC §6.4), run-log row,
 * transport, the work, and the mapping of failures to per-account outcomes. One account failing
 * never stops the next.
 */
export async function runStep(
  ctx: Context,
  step: string,
  work: (scope: StepScope) => Promise<AccountWork>,
  options: { transport?: boolean } = {},
): Promise<StepResult> {
  const accounts = await ctx.selectAccounts();
  const outcomes = await mapConcurrently(accounts, ctx.concurrency, (account) =>
    runForAccount(ctx, step, account, work, options.transport !== false),
  );
  return { command: step, exitCode: worstExitCode(outcomes.map((o) => o.exitCode)), accounts: outcomes };
}

async function runForAccount(
  ctx: Context,
  step: string,
  account: Account,
  work: (scope: StepScope) => Promise<AccountWork>,
  needsTransport: boolean,
): Promise<AccountOutcome> {
  const dryRun = ctx.options.dryRun;
  // The global Web Crypto, not node:crypto: this module is loaded by every command, even --help, and
  // node:crypto costs a few milliseconds to load where the global is only set up when first used.
  const owner = globalThis.crypto.randomUUID();
  // A dry run changes nothing locally: no lock, no run-log row.
  if (!dryRun) {
    const attempt = await ctx.repo.locks.acquire(
      { step, account: account.name, owner, pid: process.pid, host: ctx.host, now: isoNow(ctx.clock) },
      (holder) => isLockStale(holder, ctx.host, ctx.clock.now().getTime(), ctx.lockStaleMs),
    );
    if (!attempt.acquired) {
      const runId = await ctx.repo.runs.start(step, account.id, isoNow(ctx.clock));
      const message = `${step} for account "${account.name}" is already running: ${describeHolder(attempt.holder)}`;
      await ctx.repo.runs.finish(runId, {
        endedAt: isoNow(ctx.clock),
        outcome: 'locked',
        exitCode: ExitCode.locked,
        counts: {},
        error: message,
      });
      const heldForMs = ctx.clock.now().getTime() - Date.parse(attempt.holder.acquiredAt);
      return {
        account: account.name,
        ok: false,
        exitCode: ExitCode.locked,
        counts: {},
        errors: [{ message }],
        routineOverlap: heldForMs <= ctx.lockStaleMs,
      };
    }
    if (attempt.tookOverFrom)
      ctx.logger.warn(
        { step, account: account.name },
        `took over a stale lock (${describeHolder(attempt.tookOverFrom)})`,
      );
  }

  const runId = dryRun ? null : await ctx.repo.runs.start(step, account.id, isoNow(ctx.clock));
  const pingUrl = dryRun ? null : heartbeatUrl(ctx, step, account);
  const heartbeatPing = pingUrl ? startHeartbeat(pingUrl, ctx.logger) : null;
  const heartbeat = dryRun
    ? null
    : setInterval(() => {
        ctx.repo.locks.heartbeat(step, account.name, owner, isoNow(ctx.clock)).catch(() => undefined);
      }, heartbeatMs(ctx.lockStaleMs));
  heartbeat?.unref();

  const deadline = Date.now() + ctx.options.timeout * 1000;
  let transport: Transport | null = null;
  let outcome: AccountOutcome;
  let runFailed = false;
  try {
    if (needsTransport) transport = await ctx.openTransport(account, deadline);
    const result = await work({ account, transport: transport as Transport, deadline });
    runFailed = result.errors.some((error) => error.stepFailed);
    const exitCode = result.errors.length > 0 ? ExitCode.itemsFailed : ExitCode.ok;
    outcome = {
      account: account.name,
      ok: exitCode === 0,
      exitCode,
      counts: result.counts,
      errors: result.errors,
      details: result.details,
    };
  } catch (err) {
    // Whatever stops a step before it finishes could not be an item's fault: the run failed.
    runFailed = true;
    // A host-key refusal already names every key the server showed.
    const errors: ItemError[] = [{ message: describeError(err) }];
    if (!(err instanceof JlEdgeError) && err instanceof Error && err.stack) ctx.logger.verbose(err.stack);
    outcome = { account: account.name, ok: false, exitCode: exitCodeOf(err), counts: {}, errors };
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    if (transport) await transport.end();
  }

  const runOutcome: RunOutcome =
    outcome.exitCode === ExitCode.internal
      ? 'error'
      : runFailed
        ? 'failed'
        : outcome.exitCode === ExitCode.ok
          ? 'ok'
          : 'partial';
  if (runId !== null) {
    try {
      await ctx.repo.runs.finish(runId, {
        endedAt: isoNow(ctx.clock),
        outcome: runOutcome,
        exitCode: outcome.exitCode,
        counts: outcome.counts,
        error: outcome.errors.length ? outcome.errors.map(formatItemError).join('\n') : null,
      });
    } finally {
      // A lock left behind would block the next cron runs until it goes stale.
      await ctx.repo.locks.release(step, account.name, owner);
    }
  }
  // ◇ A run that did its job reports success even when some items failed (`partial`): those are in
  // `status`, and a monitor paged for every rejected row would cry wolf. A run that could not do its
  // job (no connection, a folder it cannot list, a bad setting, an internal error) reports failure.
  await heartbeatPing?.finish(runOutcome === 'failed' || runOutcome === 'error', heartbeatSummary(step, outcome));
  return outcome;
}

/** The account's own ping URL, else JL_EDGE_PING_URL; null when neither is set (or the variable is no URL). */
function heartbeatUrl(ctx: Context, step: string, account: Account): string | null {
  if (account.pingUrl) return account.pingUrl;
  const global = ctx.env.JL_EDGE_PING_URL;
  if (!global) return null;
  try {
    return checkPingUrl(global);
  } catch (err) {
    ctx.logger.warn({ step, account: account.name }, `JL_EDGE_PING_URL: ${errorMessage(err)}; no heartbeat sent`);
    return null;
  }
}

/** What the end ping carries: the step, the account, the exit code and the counts — never an error text. */
function heartbeatSummary(step: string, outcome: AccountOutcome): string {
  const counts = Object.entries(outcome.counts).map(([name, value]) => `${name} ${value}`);
  return `${step} ${outcome.account}: exit ${outcome.exitCode}${counts.length ? `; ${counts.join(', ')}` : ''}\n`;
}

/** A lock is stale when its heartbeat stopped, or when its process is gone from this very host. */
export function isLockStale(holder: LockHolder, thisHost: string, nowMs: number, staleMs: number): boolean {
  if (nowMs - Date.parse(holder.heartbeatAt) > staleMs) return true;
  return holder.host === thisHost && !processAlive(holder.pid);
}

function describeHolder(holder: LockHolder): string {
  return `held by pid ${holder.pid} on ${holder.host} since ${holder.acquiredAt} (last heartbeat ${holder.heartbeatAt})`;
}

export function formatItemError(error: ItemError): string {
  const where = [
    error.file,
    error.line !== undefined ? `line ${error.line}` : undefined,
    error.column ? `column ${error.column}` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  const order = error.order ? `order ${error.order}: ` : '';
  return `${order}${where ? `${where}: ` : ''}${error.message}`;
}
