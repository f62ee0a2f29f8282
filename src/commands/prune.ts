import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';

export interface PruneResult {
  command: 'prune';
  older_than_days: number;
  cutoff: string;
  raw_copies_removed: number;
  sent_file_contents_removed: number;
  runs_removed: number;
}

/**
 * Keeps a database that runs every five minutes for a year small: raw copies of inbound files, the
 * content of files sent long ago and old run-log rows go. Orders, lines, errors and unsent updates stay.
 */
export async function prune(ctx: Context, olderThanDays: number): Promise<PruneResult> {
  if (!Number.isInteger(olderThanDays) || olderThanDays < 1)
    throw new UsageError('--older-than must be at least 1 day');
  const cutoff = new Date(ctx.clock.now().getTime() - olderThanDays * 86_400_000).toISOString();
  const counts = ctx.options.dryRun
    ? await ctx.repo
        .transaction(async (tx) => {
          const would = await tx.status.prune(cutoff);
          throw new DryRunRollback(would);
        })
        .catch((err: unknown) => {
          if (err instanceof DryRunRollback) return err.counts;
          throw err;
        })
    : await ctx.repo.status.prune(cutoff);
  if (!ctx.options.dryRun) await ctx.repo.status.compact(ctx.repo.dialect);
  return {
    command: 'prune',
    older_than_days: olderThanDays,
    cutoff,
    raw_copies_removed: counts.rawCopies,
    sent_file_contents_removed: counts.sentContents,
    runs_removed: counts.runs,
  };
}

/** A dry run counts what would go by pruning inside a transaction that is then rolled back. */
class DryRunRollback extends Error {
  constructor(readonly counts: { rawCopies: number; sentContents: number; runs: number }) {
    super('dry run');
  }
}
