/**
 * SPEC §8: `import-products` of 1,000,000 rows into a fresh database, against the `sqlite3` shell's
 * `.import --csv` of the same file into a table of the same shape (the file's six columns, unique SKU
 * and unique channel item id, as the products table has). Target ratio ≤ 1.5, peak memory < 200 MB.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cronEnvironment, type BenchContext, type Benchmark } from './harness.js';

const FULL_ROWS = 1_000_000;
const ACCOUNT = 'bench';

function rowCount(ctx: BenchContext): number {
  return Math.max(1, Math.round(FULL_ROWS * ctx.scale));
}

function csvPath(ctx: BenchContext): string {
  return join(ctx.workDir, `products-${rowCount(ctx)}.csv`);
}

/**
 * One product line. Channel item ids are a permutation of the 8-digit range (7919 is prime to 9·10⁷),
 * so they are unique but not in file order, as a real catalogue's are; one title in a hundred is quoted
 * (a comma and doubled quotes), so the quoted-field path is measured too.
 */
function productLine(n: number): string {
  const channelItemId = 10_000_000 + ((n * 7919 + 12_345) % 90_000_000);
  const title = n % 100 === 0 ? `"Oak frame, ${n % 40} x 30 cm, 12"" mount"` : `Product number ${n} in the catalogue`;
  return `SKU-${String(n).padStart(8, '0')},${channelItemId},${5_000_000_000_000 + n},${n % 15},${(n * 37) % 500},${title}\n`;
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  out.write('sku,channel_item_id,ean,lead_time_days,stock,title\n');
  let buffer = '';
  for (let n = 1; n <= rows; n++) {
    buffer += productLine(n);
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((done) => out.once('drain', () => done()));
      buffer = '';
    }
  }
  await new Promise<void>((done, fail) => out.end(buffer, () => done()).on('error', fail));
  renameSync(partial, path);
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

export const importProductsBenchmark: Benchmark = {
  name: 'import-products',
  targetRatio: 1.5,
  memoryLimitMb: 200,
  describe: (ctx) => `${rowCount(ctx).toLocaleString('en-GB')} rows`,

  async prepare(ctx) {
    if (!existsSync(csvPath(ctx))) await writeCsv(csvPath(ctx), rowCount(ctx));
  },

  async reference(ctx) {
    const db = join(ctx.workDir, 'reference.sqlite');
    removeDatabase(db);
    return {
      command: 'sqlite3',
      args: [
        db,
        'create table products (sku text not null unique, channel_item_id text unique, ean text, lead_time_days integer, stock integer not null default 0, title text);',
        `.import --csv --skip 1 ${csvPath(ctx)} products`,
      ],
      cwd: ctx.workDir,
    };
  },

  async subject(ctx) {
    const db = join(ctx.workDir, 'jl-edge.sqlite');
    removeDatabase(db);
    const env = cronEnvironment(ctx.workDir);
    // Untimed: create the schema and the account.
    const setup = spawnSync(
      process.execPath,
      [ctx.bin, 'accounts', 'add', ACCOUNT, '--local-root', join(ctx.workDir, 'exchange'), '--db', db, '--quiet'],
      { env, encoding: 'utf8' },
    );
    if (setup.status !== 0) throw new Error(`accounts add failed: ${setup.stderr}`);
    return {
      command: process.execPath,
      args: [ctx.bin, 'import-products', csvPath(ctx), '--db', db, '--quiet'],
      env,
      cwd: ctx.workDir,
    };
  },

  async check(ctx) {
    const db = new Database(join(ctx.workDir, 'jl-edge.sqlite'), { readonly: true });
    try {
      const { count } = db.prepare('select count(*) as count from products').get() as { count: number };
      if (count !== rowCount(ctx))
        throw new Error(`import-products stored ${count} products, expected ${rowCount(ctx)}`);
    } finally {
      db.close();
    }
  },
};
