/**
 * The repository layer on the engine of the pass (SQLite, then PostgreSQL): values come back normalised
 * (numbers, booleans, nulls) whatever the driver returns, and (PostgreSQL) the locks that keep one run
 * per (step, account) across hosts are atomic when several connections race for them.
 */
import assert from 'node:assert/strict';
import type BetterSqlite3 from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ENGINE_LABEL, TEST_ENGINE, createTestDb } from '../helpers/test-db.js';
import { openDatabase } from '../../src/db/connection.js';
import { Repository } from '../../src/db/repository.js';
import { queryRows } from '../../src/db/repo/statements.js';
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

  /** An account on a local folder, stored directly through the repository. */
  const addLocalAccount = (repo: Repository, name: string, localRoot: string) =>
    repo.accounts.insert(name, { ...ACCOUNT_DEFAULTS, transport: 'local', localRoot }, NOW);

  it('normalises counts, integers, booleans and nulls', async () => {
    const [repo] = hosts;
    const account = await addLocalAccount(repo!, 'acme', '/srv/edge');
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

  it('tells which files of a listing longer than any statement batch are logged, by name and size', async () => {
    const [repo] = hosts;
    const account = (await repo!.accounts.findByName('acme'))!;
    const name = (n: number) => `order-${String(n).padStart(20, '0')}.txt`;
    const size = (n: number) => 10 + (n % 7);
    const logged = (n: number, bytes: number, flow: 'OrderDownload' | 'StockUpdateError' = 'OrderDownload') => ({
      accountId: account.id,
      flow,
      remoteDir: '/live/incoming',
      remoteName: name(n),
      raw: Buffer.alloc(bytes, 'x'),
      sha256: `${flow}-${n}-${bytes}`,
      status: 'processed' as const,
      error: null,
      disposal: n === 9 ? ({ kind: 'delete' } as const) : null,
      now: NOW,
    });
    // A year of files: more than PostgreSQL's and SQLite's batch of bound values.
    await repo!.inbound.insertMany(
      Array.from({ length: 2_500 }, (_, i) => logged(i + 1, size(i + 1))),
      repo!.batchSize,
    );
    // The same name with other content, and another flow's file of a name this flow never logged.
    await repo!.inbound.insert(logged(7, 99));
    await repo!.inbound.insert(logged(2_600, size(2_600), 'StockUpdateError'));

    const listing = Array.from({ length: 3_000 }, (_, i) => ({ name: name(i + 1), size: size(i + 1) }));
    listing[6] = { name: name(7), size: 98 };
    const unlogged = await repo!.inbound.unlogged(account.id, 'OrderDownload', listing);
    assert.deepEqual(unlogged, [
      { name: name(7), nameLogged: true },
      ...Array.from({ length: 500 }, (_, i) => ({ name: name(2_501 + i), nameLogged: false })),
    ]);

    // Every logged file left in place: not the one listed with other content, nor the one being deleted.
    const inPlace = await repo!.inbound.loggedNotDisposed(account.id, 'OrderDownload', listing);
    assert.deepEqual(
      inPlace.map((file) => file.name),
      Array.from({ length: 2_500 }, (_, i) => name(i + 1)).filter((each) => each !== name(7) && each !== name(9)),
    );
    assert.ok(inPlace.every((file) => Number.isInteger(file.id)));

    assert.deepEqual(await repo!.inbound.unlogged(account.id, 'OrderDownload', []), []);
  });

  it('stores a bulk insert of products byte for byte, ids in row order, and refuses a taken SKU without ending the transaction', async () => {
    const [repo] = hosts;
    const account = await addLocalAccount(repo!, 'bulk', '/srv/bulk');
    const fields = ['channelItemId', 'ean', 'leadTimeDays', 'stock', 'title', 'active'] as const;
    // Every character PostgreSQL's COPY text format escapes, and the text that spells its null.
    const titles = [
      'back\\slash',
      'tab\there',
      'new\nline',
      'carriage\rreturn',
      '\\N',
      'Crème brûlée "12" mould',
      null,
    ];
    // More rows than a PostgreSQL batch, so a write spans several COPY pieces and statements.
    const rows = Array.from({ length: 7_000 }, (_, i) => ({
      sku: `BULK-${String(i).padStart(5, '0')}`,
      channelItemId: i % 3 === 0 ? null : String(40_000_000 + i),
      ean: i % 5 === 0 ? null : String(5_000_000_000_000 + i),
      leadTimeDays: i % 4 === 0 ? null : i % 15,
      stock: (i * 37) % 500,
      title: titles[i % titles.length]!,
      active: i % 2 === 0,
    }));
    const ids = await repo!.transaction((trx) => trx.products.insertMany(account.id, [...fields], rows, NOW));
    const stored = await repo!.products.list([account.id], 0);
    assert.deepEqual(
      stored.map((p) => ({
        id: p.id,
        sku: p.sku,
        channelItemId: p.channelItemId,
        ean: p.ean,
        leadTimeDays: p.leadTimeDays,
        stock: p.stock,
        title: p.title,
        active: p.active,
        resend: p.resend,
        pushedStock: p.pushedStock,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
      })),
      rows.map((row, i) => ({
        id: ids[i],
        ...row,
        resend: false,
        pushedStock: null,
        createdAt: NOW,
        updatedAt: NOW,
      })),
    );

    const outcome = await repo!.transaction(async (trx) => {
      const refused = await trx.products
        .withSavepoint(() =>
          trx.products.insertMany(
            account.id,
            ['stock'],
            [
              { sku: 'BULK-NEW', stock: 1 },
              { sku: 'BULK-00001', stock: 2 },
            ],
            LATER,
          ),
        )
        .then(
          () => 'inserted',
          (err: unknown) => (trx.products.isUniqueViolation(err) ? 'unique violation' : String(err)),
        );
      // The transaction goes on after the refused write.
      await trx.products.insertMany(account.id, ['stock'], [{ sku: 'BULK-AFTER', stock: 3 }], LATER);
      return refused;
    });
    assert.equal(outcome, 'unique violation');
    assert.equal((await repo!.products.findBySku(account.id, 'BULK-NEW'))?.sku, undefined);
    assert.equal((await repo!.products.findBySku(account.id, 'BULK-00001'))!.stock, rows[1]!.stock);
    assert.equal((await repo!.products.findBySku(account.id, 'BULK-AFTER'))!.stock, 3);
  });

  if (TEST_ENGINE === 'sqlite')
    it("a SQLite connection hands out the statement it prepared before, in knex's row mode, unless it is busy", async () => {
      const [repo] = hosts;
      const sql = 'select 7 as n union all select 8';
      // The pool's one connection, handed back before knex needs it.
      const connection = (await repo!.knex.client.acquireConnection()) as BetterSqlite3.Database;
      await repo!.knex.client.releaseConnection(connection);
      assert.equal(connection.prepare(sql), connection.prepare(sql));
      // The plain-SQL read switches it to arrays; knex's next use gets objects again.
      assert.deepEqual(await queryRows(repo!.knex, 'sqlite', sql, []), [[7], [8]]);
      assert.deepEqual(await repo!.knex.raw(sql), [{ n: 7 }, { n: 8 }]);
      // So does one that read single values (pluck) or rows by table (expand).
      assert.deepEqual(connection.prepare(sql).pluck().all(), [7, 8]);
      assert.deepEqual(await repo!.knex.raw(sql), [{ n: 7 }, { n: 8 }]);
      assert.deepEqual(connection.prepare(sql).expand().all(), [{ $: { n: 7 } }, { $: { n: 8 } }]);
      assert.deepEqual(await repo!.knex.raw(sql), [{ n: 7 }, { n: 8 }]);
      const iterating = connection.prepare(sql).iterate();
      assert.deepEqual(iterating.next().value, { n: 7 });
      assert.deepEqual(await repo!.knex.raw(sql), [{ n: 7 }, { n: 8 }]);
      assert.deepEqual(iterating.next().value, { n: 8 });
      assert.equal(iterating.next().done, true);
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

  if (TEST_ENGINE === 'postgres')
    it('a lock released while another host is taking it: that host gets it or sees its holder, never an error', async () => {
      const step = 'quick-runs';
      const stop = Date.now() + 3_000;
      let runs = 0;
      // Hosts 0 and 1 run very short "runs" (take, release) back to back; 2 and 3 try to take it meanwhile.
      const quick = async (i: number): Promise<void> => {
        while (Date.now() < stop) {
          const owner = `quick-${i}-${runs++}`;
          const attempt = await hosts[i]!.locks.acquire(
            { step, account: 'acme', owner, pid: 3000 + i, host: `host-${i}`, now: NOW },
            () => false,
          );
          if (attempt.acquired) await hosts[i]!.locks.release(step, 'acme', owner);
          else assert.equal(attempt.holder.step, step);
        }
      };
      await Promise.all([0, 1, 2, 3].map(quick));
      assert.ok(runs > 20, `enough attempts to race: ${runs}`);
      assert.deepEqual(
        (await hosts[0]!.locks.list()).filter((l) => l.step === step),
        [],
      );
    });
});
