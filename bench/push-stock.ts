/**
 * SPEC §8: `jl-edge push-stock --full` of 200,000 products against the reference — the `sqlite3 -csv`
 * export of the same rows plus an OpenSSH `sftp -b` put of that file — both to a real OpenSSH sshd on
 * loopback (test/helpers/sshd.ts, key authentication).
 *
 * Two states of the same catalogue, one benchmark each:
 * - `push-stock-first`: the first push of the catalogue, every product's pushed record is written (target
 *   ratio ≤ 1.5);
 * - `push-stock-nightly`: the nightly `--full` of a catalogue pushed before, 1% of its stocks changed
 *   since (only those products' pushed records change; target ratio ≤ 1.2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { keyLoginOptions, startSshd, type SshdServer } from '../test/helpers/sshd.js';
import { atScale, cronEnvironment, type BenchContext, type Benchmark } from './harness.js';
import { sftpBatch } from './edge-server.js';

const FULL_PRODUCTS = 200_000;
const ACCOUNT = 'bench';
const LEAD_TIME_DAYS = 3;
const REMOTE_DIR = '/live/inventory';
/** The nightly state: this share of the products got a new stock since the last push. */
const NIGHTLY_CHANGED_SHARE = 0.01;

/** The reference export: the rows and columns push-stock sends (the account sends the SKU as traded code). */
const REFERENCE_SQL = `select channel_item_id as part_number, substr(sku, 1, 20) as tradedCode,
  coalesce(lead_time_days, ${LEAD_TIME_DAYS}) as current_lead_time_to_delivery_in_days,
  case when stock < 0 then 0 else stock end as free_stock
  from products where channel_item_id is not null order by id`;

const productCount = (ctx: BenchContext): number => atScale(ctx, FULL_PRODUCTS);

const databasePath = (ctx: BenchContext): string => join(ctx.workDir, 'jl-edge.sqlite');
const referenceCsv = (ctx: BenchContext): string => join(ctx.workDir, 'reference.csv');

function pushStockBenchmark(name: string, state: 'first' | 'nightly', targetRatio: number): Benchmark {
  let server: SshdServer | null = null;
  const running = (): SshdServer => {
    if (!server) throw new Error(`${name}: the sshd is not started`);
    return server;
  };

  /** The state both sides of the next round see (the harness runs the reference, then jl-edge). */
  const prepareRound = (db: string): void =>
    state === 'first' ? resetPushed(db) : changeStocks(db, NIGHTLY_CHANGED_SHARE);

  return {
    name,
    targetRatio,
    describe: (ctx) =>
      `${productCount(ctx).toLocaleString('en-GB')} products, ` +
      (state === 'first' ? 'first push' : `nightly --full, ${NIGHTLY_CHANGED_SHARE * 100}% of stocks changed`),

    async prepare(ctx) {
      server = await startSshd();
      await server.makeTree();
      const db = databasePath(ctx);
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
      const added = spawnSync(
        process.execPath,
        [
          ctx.bin,
          'accounts',
          'add',
          ACCOUNT,
          ...keyLoginOptions(server, server.hostKeyFingerprint),
          '--lead-time',
          String(LEAD_TIME_DAYS),
          '--traded-code',
          'sku',
          '--db',
          db,
          '--quiet',
        ],
        { env: cronEnvironment(ctx.workDir), encoding: 'utf8' },
      );
      if (added.status !== 0) throw new Error(`accounts add failed: ${added.stderr}`);
      seedCatalogue(db, productCount(ctx));
      if (state === 'nightly') markAllPushed(db);
      prepareRound(db);
    },

    async reference(ctx) {
      const sftp = sftpBatch(ctx, running(), [`put ${referenceCsv(ctx)} ${REMOTE_DIR}/reference.csv`]);
      // One timed process for both halves; positional parameters keep the SQL and paths unquoted-safe.
      return {
        command: '/bin/sh',
        args: [
          '-c',
          'sqlite3 -csv -header "$1" "$2" > "$3" && shift 3 && exec "$@"',
          'sh',
          databasePath(ctx),
          REFERENCE_SQL,
          referenceCsv(ctx),
          sftp.command,
          ...sftp.args,
        ],
        cwd: ctx.workDir,
        env: cronEnvironment(ctx.workDir),
      };
    },

    async subject(ctx) {
      return {
        command: process.execPath,
        args: [ctx.bin, 'push-stock', '--full', '--account', ACCOUNT, '--db', databasePath(ctx), '--quiet'],
        cwd: ctx.workDir,
        env: cronEnvironment(ctx.workDir),
      };
    },

    /** The run did the same work as the reference: its file holds exactly the exported rows. */
    async check(ctx) {
      const folder = join(running().jail, REMOTE_DIR);
      const newest = readdirSync(folder)
        .filter((file) => file.startsWith('inventory-'))
        .sort()
        .pop();
      if (newest === undefined) throw new Error('push-stock uploaded no inventory file');
      const expected = readFileSync(referenceCsv(ctx), 'utf8').replace(/\r\n/g, '\n');
      if (readFileSync(join(folder, newest), 'utf8') !== expected)
        throw new Error(`${newest} differs from the sqlite3 export`);
      rmSync(join(folder, newest));
      prepareRound(databasePath(ctx));
    },

    async dispose() {
      await server?.stop();
      server = null;
    },
  };
}

function withDatabase(db: string, work: (sqlite: Database.Database) => void): void {
  if (!existsSync(db)) throw new Error(`no database at ${db}`);
  const sqlite = new Database(db);
  try {
    work(sqlite);
    // Each run starts from the same file state: everything checkpointed out of the write-ahead log.
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    sqlite.close();
  }
}

function seedCatalogue(db: string, products: number): void {
  withDatabase(db, (sqlite) => {
    const now = new Date().toISOString();
    // Every seventh product has its own lead time and every eleventh a negative stock, so the renderer's
    // real paths are measured; SKUs are the traded codes.
    sqlite
      .prepare(
        `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
         insert into products (account_id, sku, channel_item_id, ean, lead_time_days, stock, created_at, updated_at)
         select (select id from accounts where name = ?), printf('SKU-%07d', i), printf('%08d', 10000000 + i),
                printf('50%011d', i), case when i % 7 = 0 then 5 end, case when i % 11 = 0 then -2 else i % 50 end, ?, ?
         from n`,
      )
      .run(products, ACCOUNT, now, now);
  });
}

function resetPushed(db: string): void {
  withDatabase(db, (sqlite) => {
    sqlite
      .prepare(
        'update products set pushed_stock = null, pushed_lead_time_days = null, pushed_traded_code = null, pushed_at = null',
      )
      .run();
  });
}

/** The state a previous push leaves: every product's pushed record holds its current values. */
function markAllPushed(db: string): void {
  withDatabase(db, (sqlite) => {
    sqlite
      .prepare(
        `update products set pushed_stock = case when stock < 0 then 0 else stock end,
           pushed_lead_time_days = coalesce(lead_time_days, ?), pushed_traded_code = substr(sku, 1, 20),
           pushed_at = ?, resend = 0`,
      )
      .run(LEAD_TIME_DAYS, new Date().toISOString());
  });
}

/** Another system's stock updates since the last push: every 1/share-th product, a different slice each run. */
function changeStocks(db: string, share: number): void {
  withDatabase(db, (sqlite) => {
    const every = Math.round(1 / share);
    sqlite
      .prepare('update products set stock = stock + 1 where id % ? = ?')
      .run(every, Math.floor(Math.random() * every));
  });
}

export const pushStockFirstBenchmark = pushStockBenchmark('push-stock-first', 'first', 1.5);
export const pushStockNightlyBenchmark = pushStockBenchmark('push-stock-nightly', 'nightly', 1.2);
