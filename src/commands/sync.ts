import { forAccount, type Context } from '../core/context.js';
import { UsageError, describeError, exitCodeOf, worstExitCode } from '../core/errors.js';
import { mapConcurrently } from '../core/parallel.js';
import type { StepResult } from '../core/step.js';
import { SYNC_STEPS, type SyncStep } from '../core/steps.js';
import { SharedConnection } from '../transport/shared.js';
import { SYNC_STEP_RUNNERS } from './sync-steps.js';

export interface SyncResult {
  command: 'sync';
  exitCode: number;
  steps: StepResult[];
}

/**
 * Every sync step once, in order, per account (`--concurrency` accounts at a time) — for the small seller who wants one cron line. One step
 * failing (even to connect) never stops the others; the exit code is the worst of them. The steps of an
 * account share one connection (SharedConnection).
 */
export async function sync(ctx: Context): Promise<SyncResult> {
  const accounts = await ctx.selectAccounts();
  const perAccount = await mapConcurrently(accounts, ctx.concurrency, async (account) => {
    const connection = new SharedConnection((deadline) => ctx.openTransport(account, deadline));
    const scoped: Context = {
      ...forAccount(ctx, account),
      openTransport: (_account, deadline) => connection.borrow(deadline),
    };
    const steps: StepResult[] = [];
    try {
      for (const step of SYNC_STEPS) steps.push(await runOne(scoped, step, account.name));
    } finally {
      await connection.close();
    }
    return steps;
  });
  const steps = perAccount.flat();
  return { command: 'sync', exitCode: worstExitCode(steps.map((s) => s.exitCode)), steps };
}

async function runOne(ctx: Context, step: SyncStep, account: string): Promise<StepResult> {
  try {
    return await SYNC_STEP_RUNNERS[step](ctx);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const exitCode = exitCodeOf(err);
    return {
      command: step,
      exitCode,
      accounts: [{ account, ok: false, exitCode, counts: {}, errors: [{ message: describeError(err) }] }],
    };
  }
}
