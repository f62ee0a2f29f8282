/**
 * SPEC §8: `jl-edge sync` for 100 accounts with 10 new orders each, at `--concurrency 8` against the same
 * at `--concurrency 1` (the reference). Target ratio ≤ 0.35. One real OpenSSH sshd on loopback; every
 * account logs in as the benchmark user and has a root folder of its own (`/s001` …), as an agency's
 * sellers each have their own exchange folders. A SQLite database (the default engine).
 *
 * Every run starts from the same state: the database copied from a template (100 accounts, a 200-product
 * catalogue each, nothing downloaded), the order files in place (left there by default), the outgoing
 * and inventory folders empty.
 */
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACCOUNT,
  BenchServer,
  benchOrderFile,
  countRows,
  createAccountDatabase,
  removeDatabase,
  withDatabase,
} from './edge-server.js';
import { cronEnvironment, type BenchContext, type Benchmark, type TimedProcess } from './harness.js';
import { orderFileName } from '../test/fixtures/orders/edge-order.js';

const FULL_ACCOUNTS = 100;
const ORDERS_PER_ACCOUNT = 10;

const accountCount = (ctx: BenchContext): number => Math.max(2, Math.round(FULL_ACCOUNTS * ctx.scale));
const rootOf = (index: number): string => `/s${String(index).padStart(3, '0')}`;
const templatePath = (ctx: BenchContext): string => join(ctx.workDir, 'template.sqlite');
const databasePath = (ctx: BenchContext): string => join(ctx.workDir, 'jl-edge.sqlite');

const server = new BenchServer();

function sync(ctx: BenchContext, concurrency: number): TimedProcess {
  copyDatabase(ctx);
  // Files only: the inventory folder keeps its errors/ subfolder.
  for (let index = 1; index <= accountCount(ctx); index++)
    for (const folder of ['outgoing', 'inventory'])
      for (const entry of readdirSync(server.local(`${rootOf(index)}/${folder}`), { withFileTypes: true }))
        if (entry.isFile()) rmSync(join(server.local(`${rootOf(index)}/${folder}`), entry.name));
  return {
    command: process.execPath,
    args: [ctx.bin, 'sync', '--concurrency', String(concurrency), '--db', databasePath(ctx), '--quiet'],
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
  };
}

function copyDatabase(ctx: BenchContext): void {
  removeDatabase(databasePath(ctx));
  copyFileSync(templatePath(ctx), databasePath(ctx));
}

export const syncAccountsBenchmark: Benchmark = {
  name: 'sync-accounts',
  targetRatio: 0.35,
  describe: (ctx) =>
    `${accountCount(ctx)} accounts × ${ORDERS_PER_ACCOUNT} orders, sync --concurrency 8 vs --concurrency 1`,

  async prepare(ctx) {
    await server.start();
    const accounts = accountCount(ctx);
    // The benchmark account with its catalogue, then copied once per seller with its own root folder.
    createAccountDatabase(ctx, templatePath(ctx), server);
    withDatabase(templatePath(ctx), (sqlite) => {
      const columns = (sqlite.prepare(`pragma table_info(accounts)`).all() as { name: string }[])
        .map((c) => c.name)
        .filter((name) => !['id', 'name', 'root'].includes(name));
      const copyAccount = sqlite.prepare(
        `insert into accounts (name, root, ${columns.join(', ')}) select ?, ?, ${columns.join(', ')} from accounts where name = ?`,
      );
      const productColumns = (sqlite.prepare(`pragma table_info(products)`).all() as { name: string }[])
        .map((c) => c.name)
        .filter((name) => !['id', 'account_id'].includes(name));
      const copyCatalogue = sqlite.prepare(
        `insert into products (account_id, ${productColumns.join(', ')})
         select (select id from accounts where name = ?), ${productColumns.join(', ')}
         from products where account_id = (select id from accounts where name = ?)`,
      );
      for (let index = 1; index <= accounts; index++) {
        const name = `seller-${String(index).padStart(3, '0')}`;
        copyAccount.run(name, `${rootOf(index)}`, ACCOUNT);
        copyCatalogue.run(name, ACCOUNT);
      }
      sqlite.prepare(`delete from products where account_id = (select id from accounts where name = ?)`).run(ACCOUNT);
      sqlite.prepare(`delete from accounts where name = ?`).run(ACCOUNT);
    });
    for (let index = 1; index <= accounts; index++) {
      await server.running.makeTree(rootOf(index));
      for (let n = 1; n <= ORDERS_PER_ACCOUNT; n++) {
        const name = orderFileName(n);
        const folder = server.local(`${rootOf(index)}/incoming`);
        writeFileSync(join(folder, name), benchOrderFile(index * 1000 + n));
        writeFileSync(join(folder, `${name}.DONE`), '');
      }
    }
  },

  reference: async (ctx) => sync(ctx, 1),
  subject: async (ctx) => sync(ctx, 8),

  /** Every order of every account stored and acknowledged. */
  async check(ctx) {
    const expected = accountCount(ctx) * ORDERS_PER_ACCOUNT;
    const ready = countRows(databasePath(ctx), `select count(*) as n from orders where status = 'ready_to_ship'`);
    if (ready !== expected) throw new Error(`sync left ${ready} orders acknowledged, expected ${expected}`);
  },

  async dispose() {
    await server.stop();
  },
};
