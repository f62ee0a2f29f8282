import type { Knex } from 'knex';
import type { LockHolder } from '../../core/run-log.js';
import { toNumber } from './normalise.js';

/** Who asks for a lock, and when. */
type LockRequest = Omit<LockHolder, 'acquiredAt' | 'heartbeatAt'> & { now: string };

export type LockAttempt = { acquired: true; tookOverFrom: LockHolder | null } | { acquired: false; holder: LockHolder };

/** One run per (step, account), held in the database so it works across hosts (SPEC §6.4). */
export class LocksRepo {
  constructor(private readonly db: Knex) {}

  /**
   * Takes the lock, or takes it over when `isStale(holder)` says its holder is gone. A held lock is read
   * and taken over in a transaction, so two starters racing for a stale lock cannot both win.
   */
  async acquire(lock: LockRequest, isStale: (holder: LockHolder) => boolean): Promise<LockAttempt> {
    // A free lock, the usual case, is taken by this one statement: it inserts our row or nothing.
    const [inserted] = (await this.db('locks')
      .insert(lockRecord(lock))
      .onConflict(['step', 'account'])
      .ignore()
      .returning('owner')) as unknown[];
    if (inserted !== undefined) return { acquired: true, tookOverFrom: null };
    // On PostgreSQL a holder can finish and delete its row between our ignored insert and our read (each
    // statement sees what is committed when it starts): then the lock is free, and we try again.
    for (;;) {
      const attempt = await this.db.transaction((trx) => this.tryAcquire(trx, lock, isStale));
      if (attempt !== null) return attempt;
    }
  }

  /** One attempt in one transaction; null when the row vanished under us (its holder released it). */
  private async tryAcquire(
    trx: Knex.Transaction,
    lock: LockRequest,
    isStale: (holder: LockHolder) => boolean,
  ): Promise<LockAttempt | null> {
    const record = lockRecord(lock);
    // The write comes first: SQLite then takes its write lock at once, waiting out its busy timeout,
    // where a read followed by a write fails with SQLITE_BUSY when another process wrote in between.
    // On PostgreSQL a racing insert waits for the other transaction; either way the stored row decides.
    await trx('locks').insert(record).onConflict(['step', 'account']).ignore();
    const row = await trx('locks').where({ step: lock.step, account: lock.account }).first();
    if (!row) return null;
    const holder = fromRow(row);
    if (holder.owner === lock.owner) return { acquired: true, tookOverFrom: null };
    if (!isStale(holder)) return { acquired: false, holder };
    const updated = await trx('locks')
      .where({ step: lock.step, account: lock.account, owner: holder.owner })
      .update(record);
    return toNumber(updated) === 1 ? { acquired: true, tookOverFrom: holder } : { acquired: false, holder };
  }

  async heartbeat(step: string, account: string, owner: string, now: string): Promise<boolean> {
    return toNumber(await this.db('locks').where({ step, account, owner }).update({ heartbeat_at: now })) === 1;
  }

  async release(step: string, account: string, owner: string): Promise<void> {
    await this.db('locks').where({ step, account, owner }).delete();
  }

  /** `unlock`: clears a lock by hand, returning whose it was. */
  async clear(step: string, account: string): Promise<LockHolder | null> {
    const row = await this.db('locks').where({ step, account }).first();
    if (!row) return null;
    await this.db('locks').where({ step, account, owner: row.owner }).delete();
    return fromRow(row);
  }

  async list(): Promise<LockHolder[]> {
    return (await this.db('locks').orderBy(['account', 'step'])).map(fromRow);
  }
}

function lockRecord(lock: LockRequest): Record<string, unknown> {
  return {
    step: lock.step,
    account: lock.account,
    owner: lock.owner,
    pid: lock.pid,
    host: lock.host,
    acquired_at: lock.now,
    heartbeat_at: lock.now,
  };
}

function fromRow(row: Record<string, unknown>): LockHolder {
  return {
    step: String(row.step),
    account: String(row.account),
    owner: String(row.owner),
    pid: toNumber(row.pid),
    host: String(row.host),
    acquiredAt: String(row.acquired_at),
    heartbeatAt: String(row.heartbeat_at),
  };
}
