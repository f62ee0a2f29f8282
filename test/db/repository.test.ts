/**
 * The repository layer on the engine of the pass (SQLite, then PostgreSQL): values come back normalised
 * (numbers, booleans, nulls) whatever the driver returns, and (PostgreSQL) the locks that keep one run
 * per (step, account) across hosts are atomic when several connections race for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ENGINE_LABEL, TEST_ENGINE, createTestDb } from '../helpers/test-db.js';
import { openDatabase } from '../../src/db/connection.js';
import { Repository } from '../../src/db/repository.js';
import { ACCOUNT_DEFAULTS } from '../../src/core/account-settings.js';
import type { LockHolder } from '../../src/core/run-log.js';

const NOW = '2026-03-01T10:00:00.000Z';
const LATER = '2026-03-01T10:05:00.000Z';

describe(`repository layer${ENGINE_LABEL}`, () => {
  const tmp = tempDir();
  const url = createTestDb(tmp.path('db.sqlite')).url;
  /** Separate connections (pools), as separate hosts have. */
  const hosts: Repository[] = [];

  before(async () => {
    for (let i = 0; i < 4; i++) {
      const { knex, dialect } = await openDatabase(url);
      hosts.push(new Repository(knex, dialect));
    }
  });
  after(async () => {
    for (const repo of hosts) await repo.close();
    tmp.remove();
  });

  it('normalises counts, integers, booleans and nulls', async () => {
    const [repo] = hosts;
    const account = await repo!.accounts.insert(
      'acme',
      { ...ACCOUNT_DEFAULTS, transport: 'local', localRoot: '/srv/edge' },
      NOW,
    );
    assert.equal(typeof account.id, 'number');
    assert.equal(account.enabled, true);
    await repo!.accounts.update('acme', { enabled: false }, LATER);
    assert.equal((await repo!.accounts.findByName('acme'))!.enabled, false);

    assert.equal(await repo!.products.count([account.id]), 0);
    assert.deepEqual(await repo!.status.ordersPerStatus(account.id), {});
    const runId = await repo!.runs.start('push-stock', account.id, NOW);
    assert.equal(typeof runId, 'number');
    await repo!.runs.finish(runId, { endedAt: LATER, outcome: 'ok', exitCode: 0, counts: { sent: 2 }, error: null });
    const [run] = await repo!.runs.lastPerStep(account.id);
    assert.equal(run!.exitCode, 0);
    assert.deepEqual(run!.counts, { sent: 2 });
  });

  // better-sqlite3 is synchronous: SQLite connections of one process cannot wait on each other, so the
  // race runs on PostgreSQL only (the SQLite e2e suites race separate processes for a lock).
  if (TEST_ENGINE === 'postgres')
    it('gives a lock to exactly one of four hosts racing for it, and a stale one to exactly one taker', async () => {
      for (let round = 0; round < 10; round++) {
        const step = `step-${round}`;
        const attempts = await Promise.all(
          hosts.map((repo, i) =>
            repo.locks.acquire(
              { step, account: 'acme', owner: `owner-${round}-${i}`, pid: 1000 + i, host: `host-${i}`, now: NOW },
              () => false,
            ),
          ),
        );
        assert.equal(attempts.filter((a) => a.acquired).length, 1, `round ${round}: one winner`);
        const holder = (await hosts[0]!.locks.list()).find((l) => l.step === step)!;
        for (const attempt of attempts) if (!attempt.acquired) assert.deepEqual(attempt.holder, holder);

        // The holder dies: every other host finds the lock stale at once; one takes it over.
        const takeovers = await Promise.all(
          hosts.map((repo, i) =>
            repo.locks.acquire(
              { step, account: 'acme', owner: `taker-${round}-${i}`, pid: 2000 + i, host: `host-${i}`, now: LATER },
              (h: LockHolder) => h.owner === holder.owner,
            ),
          ),
        );
        const won = takeovers.filter((a) => a.acquired);
        assert.equal(won.length, 1, `round ${round}: one taker`);
        assert.deepEqual(won[0]!.acquired && won[0]!.tookOverFrom, holder);
      }
    });
});
