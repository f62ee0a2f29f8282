/**
 * SPEC §8: `jl-edge sync` for 100 accounts with 10 new orders each, at `--concurrency 8` against the same
 * at `--concurrency 1` (the reference). Target ratio ≤ 0.35. One real OpenSSH sshd on loopback; every
 * account logs in as the benchmark user and has a root folder of its own (`/s001` …), as an agency's
 * sellers each have their own exchange folders. A SQLite database (the default engine).
 *
 * `sync-accounts` connects straight to the sshd: both runs are CPU work of jl-edge and sshd on this
 * machine, which concurrency can only spread over its cores. `sync-accounts-latency` connects through a
 * relay adding 10 ms each way (LatencyRelay), as a remote The Edge does: there every SFTP round trip waits
 * on the network, and that waiting is what running accounts at once hides. It has 16 accounts, so its
 * `--concurrency 1` run stays under 20 s.
 *
 * Every run starts from the same state: the database copied from a template (the accounts, a 200-product
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
import { LatencyRelay } from './latency-relay.js';
import { orderFileName } from '../test/fixtures/orders/edge-order.js';

const ORDERS_PER_ACCOUNT = 10;

interface SyncAccountsOptions {
  name: string;
  /** Accounts at scale 1. */
  accounts: number;
  /** Delay added each way between jl-edge and the sshd; null: straight to it. */
  oneWayDelayMs: number | null;
}

function syncAccountsBenchmarkOf(options: SyncAccountsOptions): Benchmark {
  const server = new BenchServer();
  let relay: LatencyRelay | null = null;
  const accountCount = (ctx: BenchContext): number => Math.max(2, Math.round(options.accounts * ctx.scale));
  const templatePath = (ctx: BenchContext): string => join(ctx.workDir, 'template.sqlite');
  const databasePath = (ctx: BenchContext): string => join(ctx.workDir, 'jl-edge.sqlite');

  const sync = (ctx: BenchContext, concurrency: number): TimedProcess => {
    removeDatabase(databasePath(ctx));
    copyFileSync(templatePath(ctx), databasePath(ctx));
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
  };

  return {
    name: options.name,
    targetRatio: 0.35,
    describe: (ctx) =>
      `${accountCount(ctx)} accounts × ${ORDERS_PER_ACCOUNT} orders` +
      (options.oneWayDelayMs === null ? '' : `, ${options.oneWayDelayMs} ms each way`) +
      ', sync --concurrency 8 vs --concurrency 1',

    async prepare(ctx) {
      await server.start();
      if (options.oneWayDelayMs !== null) relay = await LatencyRelay.start(server.running.port, options.oneWayDelayMs);
      createSellers(ctx, templatePath(ctx), server, accountCount(ctx), relay?.port ?? null);
      for (let index = 1; index <= accountCount(ctx); index++) {
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
      await relay?.stop();
      relay = null;
      await server.stop();
    },
  };
}

const rootOf = (index: number): string => `/s${String(index).padStart(3, '0')}`;

/**
 * The template database: the benchmark account with its catalogue, copied once per seller with its own root
 * folder; `port` when the sellers connect through a relay instead of straight to the sshd.
 */
function createSellers(
  ctx: BenchContext,
  template: string,
  server: BenchServer,
  accounts: number,
  port: number | null,
) {
  createAccountDatabase(ctx, template, server);
  withDatabase(template, (sqlite) => {
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
    if (port !== null) sqlite.prepare(`update accounts set port = ?`).run(port);
  });
}

export const syncAccountsBenchmark = syncAccountsBenchmarkOf({
  name: 'sync-accounts',
  accounts: 100,
  oneWayDelayMs: null,
});

export const syncAccountsLatencyBenchmark = syncAccountsBenchmarkOf({
  name: 'sync-accounts-latency',
  accounts: 16,
  oneWayDelayMs: 10,
});
