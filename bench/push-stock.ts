/**
 * SPEC §8 benchmark: `jl-edge push-stock --full` of 200,000 products against the reference — the
 * `sqlite3 -csv` export of the same rows plus an OpenSSH `sftp -b` put of that file — both to a real
 * OpenSSH sshd on loopback, as a ratio of wall times (target ≤ 1.5). Setup (server, database, catalogue)
 * is not timed. Each side runs several times, alternating, and the medians are compared.
 *
 * Run on its own: `npm run build && node --import tsx bench/push-stock.ts [--products N] [--rounds N]`,
 * or through bench/run.ts via `benchPushStock()`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startSshd, type SshdServer } from '../test/helpers/sshd.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../bin/jl-edge');
const ACCOUNT = 'bench';
const LEAD_TIME_DAYS = 3;
const REMOTE_DIR = '/live/inventory';

export interface PushStockBenchResult {
  name: string;
  products: number;
  /** Median wall time of `push-stock --full`, ms. */
  oursMs: number;
  /** Median wall time of `sqlite3 -csv` export + `sftp -b` put, ms. */
  referenceMs: number;
  ratio: number;
  target: number;
  /** Peak resident memory of the push-stock process, MB (null where /usr/bin/time is missing). */
  peakMemoryMb: number | null;
}

/** The reference export: the same rows and columns push-stock sends (traded code = SKU, as the account is set). */
const REFERENCE_SQL = `select channel_item_id as part_number, substr(sku, 1, 20) as tradedCode,
  coalesce(lead_time_days, ${LEAD_TIME_DAYS}) as current_lead_time_to_delivery_in_days,
  case when stock < 0 then 0 else stock end as free_stock
  from products where channel_item_id is not null order by id`;

export async function benchPushStock(options: { products?: number; rounds?: number } = {}): Promise<PushStockBenchResult> {
  const products = options.products ?? 200_000;
  const rounds = options.rounds ?? 3;
  const server = await startSshd();
  const work = mkdtempSync(join(tmpdir(), 'jl-edge-bench-stock-'));
  try {
    await server.makeTree();
    const db = join(work, 'db.sqlite');
    await cli(['accounts', 'add', ACCOUNT, '--host', server.host, '--port', String(server.port), '--username', server.username,
      '--private-key', server.privateKeyPath, '--host-key', server.hostKeyFingerprint, '--lead-time', String(LEAD_TIME_DAYS),
      '--traded-code', 'sku', '--db', db, '--quiet'], work);
    seedCatalogue(db, products);

    const ours: number[] = [];
    const reference: number[] = [];
    let peakMemoryMb: number | null = null;
    for (let round = 0; round < rounds; round++) {
      // Every round is a first push: nothing recorded as pushed yet.
      resetPushed(db);
      const timed = await timePushStock(db, work);
      ours.push(timed.ms);
      peakMemoryMb = Math.max(peakMemoryMb ?? 0, timed.peakMemoryMb ?? 0) || null;
      reference.push(await timeReference(server, db, work));
    }
    assertSameRows(server, join(work, 'reference.csv'));
    const oursMs = median(ours);
    const referenceMs = median(reference);
    return { name: `push-stock --full (${products.toLocaleString('en-GB')} products)`, products, oursMs, referenceMs, ratio: oursMs / referenceMs, target: 1.5, peakMemoryMb };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await server.stop();
  }
}

function seedCatalogue(db: string, products: number): void {
  const sqlite = new Database(db);
  try {
    const now = new Date().toISOString();
    // Every seventh product has its own lead time, every eleventh a negative stock: the renderer's real work.
    sqlite.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
       insert into products (account_id, sku, channel_item_id, ean, lead_time_days, stock, created_at, updated_at)
       select (select id from accounts where name = ?), printf('SKU-%07d', i), printf('%08d', 10000000 + i),
              printf('50%011d', i), case when i % 7 = 0 then 5 end, case when i % 11 = 0 then -2 else i % 50 end, ?, ?
       from n`,
    ).run(products, ACCOUNT, now, now);
  } finally {
    sqlite.close();
  }
}

function resetPushed(db: string): void {
  const sqlite = new Database(db);
  try {
    sqlite.prepare('update products set pushed_stock = null, pushed_lead_time_days = null, pushed_traded_code = null, pushed_at = null').run();
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    sqlite.close();
  }
}

async function timePushStock(db: string, cwd: string): Promise<{ ms: number; peakMemoryMb: number | null }> {
  const withTime = await hasGnuTime();
  const args = [BIN, 'push-stock', '--full', '--account', ACCOUNT, '--db', db, '--quiet'];
  const command = withTime ? '/usr/bin/time' : process.execPath;
  const commandArgs = withTime ? ['-f', 'peak-rss-kb %M', process.execPath, ...args] : args;
  const started = performance.now();
  const { code, stderr } = await spawnCollect(command, commandArgs, cwd);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`push-stock failed (${code}): ${stderr}`);
  const rss = /peak-rss-kb (\d+)/.exec(stderr);
  return { ms, peakMemoryMb: rss ? Number(rss[1]) / 1024 : null };
}

async function timeReference(server: SshdServer, db: string, work: string): Promise<number> {
  const csv = join(work, 'reference.csv');
  const batch = join(work, 'sftp-batch');
  writeFileSync(batch, `put ${csv} ${REMOTE_DIR}/reference.csv\n`);
  const started = performance.now();
  const exported = await spawnCollect('/bin/sh', ['-c', `sqlite3 -csv -header "$0" "$1" > "$2"`, db, REFERENCE_SQL, csv], work);
  if (exported.code !== 0) throw new Error(`sqlite3 export failed: ${exported.stderr}`);
  const put = await spawnCollect('sftp', [
    '-i', server.privateKeyPath, '-P', String(server.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', '-b', batch, `${server.username}@${server.host}`,
  ], work);
  if (put.code !== 0) throw new Error(`sftp put failed: ${put.stderr}`);
  return performance.now() - started;
}

/** Both sides did the same work: the uploaded inventory files carry exactly the reference's rows. */
function assertSameRows(server: SshdServer, referenceCsv: string): void {
  const folder = join(server.jail, REMOTE_DIR);
  const reference = readFileSync(referenceCsv, 'utf8').replace(/\r\n/g, '\n');
  const names = readdirSync(folder).filter((name) => name.startsWith('inventory-'));
  if (names.length === 0) throw new Error('push-stock uploaded no inventory file');
  for (const name of names) {
    if (readFileSync(join(folder, name), 'utf8') !== reference) throw new Error(`${name} differs from the sqlite3 export`);
  }
}

function cli(args: string[], cwd: string): Promise<void> {
  return spawnCollect(process.execPath, [BIN, ...args], cwd).then(({ code, stderr }) => {
    if (code !== 0) throw new Error(`jl-edge ${args[0]} failed: ${stderr}`);
  });
}

function spawnCollect(command: string, args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, TZ: 'UTC' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code: code ?? -1, stderr }));
  });
}

let gnuTime: boolean | undefined;
async function hasGnuTime(): Promise<boolean> {
  gnuTime ??= await run('/usr/bin/time', ['-f', '%M', 'true']).then(() => true, () => false);
  return gnuTime;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function option(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await benchPushStock({ products: option('--products'), rounds: option('--rounds') });
  const memory = result.peakMemoryMb === null ? '' : `, peak memory ${result.peakMemoryMb.toFixed(0)} MB`;
  console.log(
    `${result.name}: ${result.oursMs.toFixed(0)} ms vs sqlite3 -csv + sftp put ${result.referenceMs.toFixed(0)} ms = ` +
      `ratio ${result.ratio.toFixed(2)} (target ≤ ${result.target})${memory}`,
  );
}
