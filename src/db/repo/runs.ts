import type { Knex } from 'knex';
import { columnReader, parseJson, toNullableString, toNumber } from './normalise.js';

import type { RunOutcome } from '../../core/run-log.js';

export interface RunRow {
  id: number;
  step: string;
  accountId: number | null;
  startedAt: string;
  endedAt: string | null;
  outcome: RunOutcome | null;
  exitCode: number | null;
  counts: Record<string, number>;
  error: string | null;
}

/** The run log: one row per step run per account, also when nothing was found. */
export class RunsRepo {
  constructor(private readonly db: Knex) {}

  async start(step: string, accountId: number | null, startedAt: string): Promise<number> {
    const [row] = await this.db('runs').insert({ step, account_id: accountId, started_at: startedAt }).returning('id');
    return toNumber(typeof row === 'object' ? row.id : row);
  }

  async finish(
    id: number,
    result: {
      endedAt: string;
      outcome: RunOutcome;
      exitCode: number;
      counts: Record<string, number>;
      error: string | null;
    },
  ): Promise<void> {
    await this.db('runs')
      .where({ id })
      .update({
        ended_at: result.endedAt,
        outcome: result.outcome,
        exit_code: result.exitCode,
        counts: JSON.stringify(result.counts),
        error: result.error,
      });
  }

  /**
   * The steps the account has runs of, in order, each found by one seek in the (account, step, id) index:
   * the log keeps 90 days of five-minute runs, so reading it whole on every `status` is what to avoid.
   */
  private async stepsRun(accountId: number): Promise<string[]> {
    const steps: string[] = [];
    for (;;) {
      const next = this.db('runs').where({ account_id: accountId }).min({ step: 'step' });
      if (steps.length > 0) next.where('step', '>', steps.at(-1)!);
      const [row] = (await next) as { step: unknown }[];
      if (row?.step === null || row?.step === undefined) return steps;
      steps.push(String(row.step));
    }
  }

  /** The account's runs of one step, newest first, through the (account, step, id) index. */
  private newestRuns(accountId: number, step: string): Knex.QueryBuilder {
    return this.db('runs').where({ account_id: accountId, step }).orderBy('id', 'desc');
  }

  /** The newest run of `step` that did the step's work (`not outcome = 'locked'`: a run still going has none). */
  private async lastWorked(accountId: number, step: string): Promise<Record<string, unknown> | undefined> {
    return this.newestRuns(accountId, step).whereNot({ outcome: 'locked' }).first();
  }

  /**
   * The latest run of every step for an account that did the step's work: a run that found the lock
   * held did nothing and says nothing about the step (counted by `lockedSkipsPerStep`).
   */
  async lastPerStep(accountId: number): Promise<RunRow[]> {
    const rows: RunRow[] = [];
    for (const step of await this.stepsRun(accountId)) {
      const row = await this.lastWorked(accountId, step);
      if (row) rows.push(fromRow(row));
    }
    return rows;
  }

  /** Per step, the runs skipped because the lock was held since the last run that did the work. */
  async lockedSkipsPerStep(accountId: number): Promise<Record<string, number>> {
    const skipped: Record<string, number> = {};
    for (const step of await this.stepsRun(accountId)) {
      const worked = await this.lastWorked(accountId, step);
      const [row] = (await this.db('runs')
        .where({ account_id: accountId, step, outcome: 'locked' })
        .where('id', '>', worked ? toNumber(worked.id) : 0)
        .count({ n: '*' })) as { n: unknown }[];
      const n = toNumber(row?.n ?? 0);
      if (n > 0) skipped[step] = n;
    }
    return skipped;
  }

  /**
   * Per step, when a run last completed its work (`ok`, or `partial`: it ran, some items failed). The
   * newest such run is the one that ended last: the step's lock lets one run of a step go at a time.
   */
  async lastCompletedPerStep(accountId: number): Promise<Record<string, string>> {
    const completed: Record<string, string> = {};
    for (const step of await this.stepsRun(accountId)) {
      const row = await this.newestRuns(accountId, step)
        .whereIn('outcome', ['ok', 'partial'])
        .whereNotNull('ended_at')
        .first('ended_at');
      if (row) completed[step] = String(row.ended_at);
    }
    return completed;
  }

  /** When the first of these steps first ran for the account (null: never). */
  async firstStartedAt(accountId: number, steps: readonly string[]): Promise<string | null> {
    const row = (await this.db('runs')
      .where({ account_id: accountId })
      .whereIn('step', steps)
      .min({ started_at: 'started_at' })
      .first()) as { started_at: unknown } | undefined;
    return toNullableString(row?.started_at);
  }

  async list(filter: { accountId?: number; step?: string; limit?: number } = {}): Promise<RunRow[]> {
    const query = this.db('runs')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 50);
    if (filter.accountId !== undefined) query.where({ account_id: filter.accountId });
    if (filter.step) query.where({ step: filter.step });
    return (await query).map(fromRow);
  }

  async deleteOlderThan(cutoff: string): Promise<number> {
    return toNumber(await this.db('runs').where('started_at', '<', cutoff).delete());
  }
}

const readRun = columnReader({
  number: ['id'],
  string: ['step', 'startedAt'],
  nullableNumber: ['accountId', 'exitCode'],
  nullableString: ['endedAt', 'error'],
});

function fromRow(row: Record<string, unknown>): RunRow {
  return { ...readRun(row), outcome: (row.outcome as RunOutcome | null) ?? null, counts: parseJson(row.counts, {}) };
}
