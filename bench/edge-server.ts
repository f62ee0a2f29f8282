/**
 * What the SFTP benchmarks of SPEC §8 share: a real OpenSSH sshd on loopback serving The Edge's folders
 * (test/helpers/sshd.ts), a jl-edge database holding one account that points at it, the OpenSSH `sftp -b`
 * reference command, and The Edge-style order files.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { keyLoginOptions, startSshd, type SshdServer } from '../test/helpers/sshd.js';
import { item, orderFile, orderFileName, orderSection } from '../test/fixtures/orders/edge-order.js';
import { cronEnvironment, type BenchContext, type TimedProcess } from './harness.js';

export const ACCOUNT = 'bench';
export const INCOMING = '/live/incoming';
export const OUTGOING = '/live/outgoing';
/** The catalogue the order lines point at, so every line resolves to a product as in real orders. */
const CATALOGUE_PRODUCTS = 200;
export const LINES_PER_ORDER = 5;

/** One sshd per benchmark, started by `prepare` and stopped by `dispose`. */
export class BenchServer {
  private server: SshdServer | null = null;

  async start(): Promise<void> {
    this.server = await startSshd();
    await this.server.makeTree();
  }

  get running(): SshdServer {
    if (!this.server) throw new Error('the benchmark sshd is not started');
    return this.server;
  }

  /** Local path of a remote path (`/live/incoming` → `<jail>/live/incoming`). */
  local(remotePath: string): string {
    return join(this.running.jail, remotePath);
  }

  /** Removes every file of a remote folder (between runs, untimed). */
  emptyFolder(remoteDir: string): void {
    const folder = this.local(remoteDir);
    for (const name of readdirSync(folder)) rmSync(join(folder, name), { recursive: true, force: true });
  }

  sftpBatch(ctx: BenchContext, batchLines: string[]): TimedProcess {
    return sftpBatch(ctx, this.running, batchLines);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }
}

/**
 * The reference: OpenSSH `sftp -b <batch>` with the benchmark's key. Host key checking is off for the
 * reference only (jl-edge pins the fingerprint); it costs the reference nothing measurable either way.
 */
export function sftpBatch(ctx: BenchContext, server: SshdServer, batchLines: string[]): TimedProcess {
  const batch = join(ctx.workDir, 'sftp-batch');
  writeFileSync(batch, batchLines.map((line) => `${line}\n`).join(''));
  return {
    command: 'sftp',
    args: [
      '-i',
      server.privateKeyPath,
      '-P',
      String(server.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-b',
      batch,
      `${server.username}@${server.host}`,
    ],
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
  };
}

/** The files of a download benchmark: the database each run starts from, the one it runs on, and the reference's folder. */
export function downloadFiles(ctx: BenchContext): { template: string; database: string; fetched: string } {
  return {
    template: join(ctx.workDir, 'template.sqlite'),
    database: join(ctx.workDir, 'jl-edge.sqlite'),
    fetched: join(ctx.workDir, 'fetched'),
  };
}

/** The folder a download benchmark's reference fetches into, emptied before each run. */
export function emptyFetchFolder(ctx: BenchContext): string {
  const { fetched } = downloadFiles(ctx);
  rmSync(fetched, { recursive: true, force: true });
  mkdirSync(fetched);
  return fetched;
}

/** The jl-edge side of a download benchmark: download-orders on a fresh copy of the template database. */
export async function downloadFromTemplate(ctx: BenchContext): Promise<TimedProcess> {
  const { template, database } = downloadFiles(ctx);
  copyDatabase(template, database);
  return jlEdge(ctx, database, ['download-orders', '--account', ACCOUNT]);
}

/** `jl-edge <args> --db <db> --quiet`, run as cron runs it. */
export function jlEdge(ctx: BenchContext, db: string, args: string[]): TimedProcess {
  return {
    command: process.execPath,
    args: [ctx.bin, ...args, '--db', db, '--quiet'],
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
  };
}

/** Runs jl-edge outside the timing (setup); throws with its stderr when it fails. */
export function runJlEdge(ctx: BenchContext, db: string, args: string[]): void {
  const run = jlEdge(ctx, db, args);
  const result = spawnSync(run.command, run.args, { cwd: run.cwd, env: run.env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`jl-edge ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
}

export function removeDatabase(db: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${db}${suffix}`, { force: true });
}

/** A database file as the next run starts from it: a copy of `template` (checkpointed, so one file). */
export function copyDatabase(template: string, db: string): void {
  removeDatabase(db);
  copyFileSync(template, db);
}

export function withDatabase<T>(db: string, work: (sqlite: Database.Database) => T): T {
  if (!existsSync(db)) throw new Error(`no database at ${db}`);
  const sqlite = new Database(db);
  try {
    const result = work(sqlite);
    // Every run starts from the same file state: everything checkpointed out of the write-ahead log.
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  } finally {
    sqlite.close();
  }
}

/** `jl-edge accounts add` of the benchmark account, pointing at `server`. */
export function addAccountArgs(server: BenchServer): string[] {
  const sshd = server.running;
  return ['accounts', 'add', ACCOUNT, ...keyLoginOptions(sshd, sshd.hostKeyFingerprint), '--lead-time', '3'];
}

/** A fresh database holding the benchmark account (pointing at `server`) and the catalogue the orders use. */
export function createAccountDatabase(ctx: BenchContext, db: string, server: BenchServer): void {
  removeDatabase(db);
  runJlEdge(ctx, db, addAccountArgs(server));
  withDatabase(db, (sqlite) => {
    const now = new Date().toISOString();
    sqlite
      .prepare(
        `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
         insert into products (account_id, sku, channel_item_id, ean, stock, created_at, updated_at)
         select (select id from accounts where name = ?), printf('SKU-%05d', i), printf('%08d', 30000000 + i),
                printf('50%011d', i), 20, ?, ?
         from n`,
      )
      .run(CATALOGUE_PRODUCTS, ACCOUNT, now, now);
  });
}

/**
 * Order number `n` as The Edge writes it: the example file's order section (SPEC §4.2) with a customer
 * of its own and five lines of catalogue products, about 1 KB.
 */
export function benchOrderFile(n: number): Buffer {
  const order = orderSection(`Y2${String(n).padStart(8, '0')}`, {
    po_enduser: String(4_400_000_000 + n),
    retailer_ref: `JL-${String(88_000_000 + n)}`,
    shipping_title: 'Mrs',
    shipping_full_name: `Customer Number ${n}`,
    shipping_address_1: `${(n % 200) + 1} Orchard Road`,
    shipping_address_2: 'Flat 2',
    shipping_address_3: '',
    shipping_city: 'Leeds',
    shipping_postcode: 'LS1 4AB',
    shipping_country: 'GB',
    shipping_phone: '07700900123',
    shipping_email: `customer.${n}@example.com`,
    expected_delivery_date: '2026-03-05',
    currency_code: 'GBP',
  });
  const lines = Array.from({ length: LINES_PER_ORDER }, (_, index) => {
    const product = ((n * 7 + index * 13) % CATALOGUE_PRODUCTS) + 1;
    return item(String(index + 1), String(30_000_000 + product), String((index % 3) + 1), {
      additional_ref: `50${String(product).padStart(11, '0')}`,
      description: `Linen cushion cover, colour ${index + 1}`,
      promised_date: '2026-03-04T00:00:00',
      unit_cost_price: `${14 + index}.00`,
    });
  });
  return orderFile({ order, items: lines });
}

/** Writes `count` order files, each with its `<name>.DONE` marker, into the server's incoming folder. */
export function writeOrderFiles(server: BenchServer, count: number): void {
  server.emptyFolder(INCOMING);
  const folder = server.local(INCOMING);
  for (let n = 1; n <= count; n++) {
    const name = orderFileName(n);
    writeFileSync(join(folder, name), benchOrderFile(n));
    writeFileSync(join(folder, `${name}.DONE`), '');
  }
}

/**
 * `count` order files in the server's incoming folder, downloaded (untimed) by jl-edge itself into a fresh
 * database at `db`: the orders awaiting acknowledgement and the exchange log that real runs leave.
 */
export function createDownloadedDatabase(ctx: BenchContext, db: string, server: BenchServer, count: number): void {
  writeOrderFiles(server, count);
  createAccountDatabase(ctx, db, server);
  runJlEdge(ctx, db, ['download-orders', '--account', ACCOUNT]);
  withDatabase(db, () => undefined);
}

export function countRows(db: string, sql: string, ...params: unknown[]): number {
  return withDatabase(db, (sqlite) => (sqlite.prepare(sql).get(...params) as { n: number }).n);
}
