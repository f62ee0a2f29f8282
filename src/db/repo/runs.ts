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
   * The latest run of every step for an account that did the step's work: a run that found the lock
   * held did nothing and says nothing about the step (counted by `lockedSkipsPerStep`).
   */
  async lastPerStep(accountId: number): Promise<RunRow[]> {
    const latest = this.db('runs')
      .max('id as id')
      .where({ account_id: accountId })
      .whereNot({ outcome: 'locked' })
      .groupBy('step');
    const rows = await this.db('runs').whereIn('id', latest).orderBy('step');
    return rows.map(fromRow);
  }

  /** Per step, the runs skipped because the lock was held since the last run that did the work. */
  async lockedSkipsPerStep(accountId: number): Promise<Record<string, number>> {
    const rows = (await this.db('runs as skipped')
      .where({ 'skipped.account_id': accountId, 'skipped.outcome': 'locked' })
      .whereNotExists(function laterWork() {
        this.select('*')
          .from('runs as worked')
          .whereRaw(
            "worked.account_id = skipped.account_id and worked.step = skipped.step and worked.outcome <> 'locked' and worked.id > skipped.id",
          );
      })
      .select('skipped.step')
      .count({ n: '*' })
      .groupBy('skipped.step')) as { step: string; n: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.step, toNumber(r.n)]));
  }

  /** Per step, when a run last completed its work (`ok`, or `partial`: it ran, some items failed). */
  async lastCompletedPerStep(accountId: number): Promise<Record<string, string>> {
    const rows = (await this.db('runs')
      .where({ account_id: accountId })
      .whereIn('outcome', ['ok', 'partial'])
      .whereNotNull('ended_at')
      .select('step')
      .max({ ended_at: 'ended_at' })
      .groupBy('step')) as { step: string; ended_at: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.step, String(r.ended_at)]));
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
