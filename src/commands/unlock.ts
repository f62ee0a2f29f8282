import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { LOCKED_STEPS } from '../core/steps.js';
import type { LockHolder } from '../core/run-log.js';

export interface UnlockResult {
  command: 'unlock';
  step: string;
  released: { account: string; holder: LockHolder | null }[];
}

/** Clears a lock by hand (a run killed with SIGKILL on another host cannot clear its own). */
export async function unlock(ctx: Context, step: string): Promise<UnlockResult> {
  if (!(LOCKED_STEPS as readonly string[]).includes(step)) {
    throw new UsageError(`unknown step "${step}" (one of: ${LOCKED_STEPS.join(', ')})`);
  }
  const names = ctx.options.account
    ? [(await ctx.requireAccount(ctx.options.account)).name]
    : (await ctx.listAccounts()).map((a) => a.name);
  const released: UnlockResult['released'] = [];
  for (const account of names) {
    const holder = ctx.options.dryRun
      ? ((await ctx.repo.locks.list()).find((l) => l.step === step && l.account === account) ?? null)
      : await ctx.repo.locks.clear(step, account);
    released.push({ account, holder });
  }
  return { command: 'unlock', step, released };
}
