/**
 * SPEC §8 "any step on PostgreSQL ≤ 2.0× the same step on SQLite": each benchmark times one step on a
 * PostgreSQL database (a throw-away cluster, test/helpers/postgres.ts, on loopback) against the very same
 * step on a SQLite file, both starting from the same state built through the CLI, both talking to one
 * real OpenSSH sshd. The reference here is jl-edge on SQLite.
 *
 * - `pg-import-products`: 200,000 products into an empty catalogue;
 * - `pg-push-stock-first`: the first push of those 200,000 products (every pushed record written);
 * - `pg-download-orders`: 1,000 order files;
 * - `pg-ack-orders`: 1,000 orders awaiting acknowledgement.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresCluster } from '../test/helpers/postgres.js';
import {
  ACCOUNT,
  addAccountArgs,
  BenchServer,
  OUTGOING,
  removeDatabase,
  withDatabase,
  writeOrderFiles,
} from './edge-server.js';
import { cronEnvironment, type BenchContext, type Benchmark, type TimedProcess } from './harness.js';

const INVENTORY = '/live/inventory';
const CATALOGUE_PRODUCTS = 200;

interface Scenario {
  name: string;
  describe(ctx: BenchContext): string;
  /** Builds the starting state on a database (a SQLite path or a postgres:// URL) through the CLI. */
  setup(ctx: BenchContext, db: string): void;
  /** The step both sides run. */
  args(ctx: BenchContext): string[];
  /** Before every timed run: remote state back to the start. */
  beforeRun?(): void;
}

const server = new BenchServer();

/** Removes the files of a folder, keeping its subfolders (the inventory folder holds `errors/`). */
function removeFiles(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true }))
    if (entry.isFile()) rmSync(join(folder, entry.name));
}

function cli(ctx: BenchContext, db: string, args: string[]): void {
  const result = spawnSync(process.execPath, [ctx.bin, ...args, '--db', db, '--quiet'], {
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`jl-edge ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
}

function addAccount(ctx: BenchContext, db: string): void {
  cli(ctx, db, addAccountArgs(server));
}

/** A catalogue CSV of `count` products (SKU-00000001 …, stock numbers from 30000001). */
function catalogueCsv(ctx: BenchContext, count: number): string {
  const path = join(ctx.workDir, `catalogue-${count}.csv`);
  if (!existsSync(path)) {
    const lines = ['sku,channel_item_id,ean,lead_time_days,stock,title'];
    for (let n = 1; n <= count; n++)
      lines.push(
        `SKU-${String(n).padStart(5, '0')},${30_000_000 + n},${5_000_000_000_000 + n},${n % 15 || ''},${(n * 37) % 500},Product ${n}`,
      );
    writeFileSync(path, `${lines.join('\n')}\n`);
  }
  return path;
}

const productCount = (ctx: BenchContext): number => Math.max(1, Math.round(200_000 * ctx.scale));
const orderCount = (ctx: BenchContext): number => Math.max(1, Math.round(1_000 * ctx.scale));

const SCENARIOS: Scenario[] = [
  {
    name: 'pg-import-products',
    describe: (ctx) => `${productCount(ctx).toLocaleString('en-GB')} products into an empty catalogue`,
    setup: (ctx, db) => addAccount(ctx, db),
    args: (ctx) => ['import-products', catalogueCsv(ctx, productCount(ctx)), '--account', ACCOUNT],
  },
  {
    name: 'pg-push-stock-first',
    describe: (ctx) => `first push of ${productCount(ctx).toLocaleString('en-GB')} products`,
    setup(ctx, db) {
      addAccount(ctx, db);
      cli(ctx, db, ['import-products', catalogueCsv(ctx, productCount(ctx)), '--account', ACCOUNT]);
    },
    args: () => ['push-stock', '--account', ACCOUNT],
    beforeRun: () => removeFiles(server.local(INVENTORY)),
  },
  {
    name: 'pg-download-orders',
    describe: (ctx) => `${orderCount(ctx).toLocaleString('en-GB')} order files`,
    setup(ctx, db) {
      addAccount(ctx, db);
      cli(ctx, db, ['import-products', catalogueCsv(ctx, CATALOGUE_PRODUCTS), '--account', ACCOUNT]);
    },
    args: () => ['download-orders', '--account', ACCOUNT],
  },
  {
    name: 'pg-ack-orders',
    describe: (ctx) => `${orderCount(ctx).toLocaleString('en-GB')} orders`,
    setup(ctx, db) {
      addAccount(ctx, db);
      cli(ctx, db, ['import-products', catalogueCsv(ctx, CATALOGUE_PRODUCTS), '--account', ACCOUNT]);
      cli(ctx, db, ['download-orders', '--account', ACCOUNT]);
    },
    args: () => ['ack-orders', '--account', ACCOUNT],
    beforeRun: () => server.emptyFolder(OUTGOING),
  },
];

function postgresBenchmark(scenario: Scenario): Benchmark {
  const sqliteTemplate = (ctx: BenchContext): string => join(ctx.workDir, 'template.sqlite');
  const sqliteRun = (ctx: BenchContext): string => join(ctx.workDir, 'run.sqlite');
  const template = `${scenario.name.replaceAll('-', '_')}_template`;
  const runDb = `${scenario.name.replaceAll('-', '_')}_run`;
  const run = (ctx: BenchContext, db: string): TimedProcess => ({
    command: process.execPath,
    args: [ctx.bin, ...scenario.args(ctx), '--db', db, '--quiet'],
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
  });
  return {
    name: scenario.name,
    // SPEC §8: a step on PostgreSQL against the same step on SQLite.
    targetRatio: 2.0,
    describe: (ctx) => `${scenario.describe(ctx)}, PostgreSQL vs SQLite`,

    async prepare(ctx) {
      await server.start();
      writeOrderFiles(server, orderCount(ctx));
      removeDatabase(sqliteTemplate(ctx));
      scenario.setup(ctx, sqliteTemplate(ctx));
      withDatabase(sqliteTemplate(ctx), () => undefined);
      const pg = postgresCluster();
      pg.psql('postgres', `drop database if exists ${template}; create database ${template}`);
      scenario.setup(ctx, pg.url(template));
    },

    async reference(ctx) {
      scenario.beforeRun?.();
      removeDatabase(sqliteRun(ctx));
      copyFileSync(sqliteTemplate(ctx), sqliteRun(ctx));
      return run(ctx, sqliteRun(ctx));
    },

    async subject(ctx) {
      scenario.beforeRun?.();
      const pg = postgresCluster();
      pg.psql('postgres', `drop database if exists ${runDb}`);
      pg.psql('postgres', `create database ${runDb} template ${template}`);
      // A database copied from a template has no planner statistics yet; cron's would.
      pg.psql(runDb, 'analyze');
      return run(ctx, pg.url(runDb));
    },

    async dispose() {
      await server.stop();
    },
  };
}

export const postgresBenchmarks: Benchmark[] = SCENARIOS.map(postgresBenchmark);
