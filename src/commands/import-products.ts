/**
 * `import-products`: the step and its transactions. Reading and validating the file is in
 * import-products/reader.ts, deciding what each row does to the stored products in import-products/plan.ts.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError, errorMessage } from '../core/errors.js';
import { faultPause } from '../core/fault-injection.js';
import { runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { ProductsRepo } from '../db/repo/products.js';
import type { ProductRecord } from '../formats/product-csv.js';
import { emptyCounts, ProductImport } from './import-products/plan.js';
import { ProductFileReader, type FileProblem } from './import-products/reader.js';
import { ignoredColumnsWarning } from '../formats/delimited.js';
import { knownProductHeaders } from '../formats/product-csv.js';

export interface ImportProductsOptions {
  /** A file path, or `-` for standard input. */
  file: string;
  /** Import nothing when any row is rejected. */
  strict: boolean;
}

const STEP = 'import-products';

/**
 * How long one transaction of a normal run may go on (--strict and --dry-run use one, to roll the whole
 * file back): it holds the database's write lock, and the other cron steps wait for that lock for at most
 * their busy timeout (10 s, src/db/connection.ts), so even a machine three times slower stays well within
 * it. Every commit rewrites the index pages its rows touched, and channel item ids arrive in no order, so
 * longer transactions write less (measured on 1,000,000 rows: commits every 5,000 rows took twice as long
 * as every 100,000; about 250,000 rows a transaction wrote 12% less than 100,000). Time, not rows: a slow
 * machine then commits more often instead of holding the lock for longer.
 */
const MAX_TRANSACTION_MS = 1_500;
/** How long a transaction waits for more input before it commits what it has. */
const INPUT_WAIT_IN_TRANSACTION_MS = 20;
const PROGRESS_EVERY_ROWS = 10_000;
/** Read size: larger pieces hold more rows in memory at once (256 KB measured 15 MB more peak RSS, no faster). */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * `import-products <file.csv>` (SPEC §2, §5.3): upserts the account's products by SKU. Only the columns
 * the file carries are written; bad rows are reported with line, column and reason, and the rest is
 * imported (with `strict`, nothing is). Not a network step: no transport, but the step's lock and run log.
 */
export async function importProducts(ctx: Context, options: ImportProductsOptions): Promise<StepResult> {
  const accounts = await ctx.selectAccounts();
  if (accounts.length > 1) {
    throw new UsageError(`several accounts: choose one with --account (${accounts.map((a) => a.name).join(', ')})`);
  }
  const fileLabel = options.file === '-' ? 'stdin' : options.file;
  let handle: FileHandle | undefined;
  let input: Readable;
  if (options.file === '-') {
    input = process.stdin;
  } else {
    try {
      handle = await open(options.file, 'r');
      if ((await handle.stat()).isDirectory()) throw new Error('it is a directory');
    } catch (err) {
      await handle?.close();
      throw new UsageError(`cannot read ${options.file}: ${errorMessage(err)}`);
    }
    input = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false });
  }
  input.setEncoding('utf8');
  try {
    return await runStep(
      ctx,
      STEP,
      async ({ account }) => {
        await faultPause('pause-after-lock', ctx.env);
        return importInto(ctx, account, input, fileLabel, options.strict);
      },
      { transport: false },
    );
  } finally {
    input.destroy();
    await handle?.close();
  }
}

/** One warehouse file of an inbox (`import-products --from`): imported through `ctx.repo`. */
export function importProductFile(
  ctx: Context,
  account: Account,
  name: string,
  data: Buffer,
  strict: boolean,
): Promise<AccountWork> {
  const input = new PassThrough();
  input.setEncoding('utf8');
  input.end(data);
  return importInto(ctx, account, input, name, strict);
}

/** Thrown out of a transaction to roll it back (dry run, or --strict with rejected rows). */
class RollBack extends Error {}

async function importInto(
  ctx: Context,
  account: Account,
  input: Readable,
  file: string,
  strict: boolean,
): Promise<AccountWork> {
  const dryRun = ctx.options.dryRun;
  const reader = new ProductFileReader(input, ctx.repo.products.batchSize);
  const header = await reader.header();
  if ('error' in header) {
    const error: ItemError = { file, message: header.error };
    if (header.line !== undefined) error.line = header.line;
    return { counts: emptyCounts(), errors: [error], details: { file } };
  }
  const { columns } = header;
  if (columns.ignored.length > 0)
    ctx.logger.warn(
      { step: STEP, account: account.name },
      ignoredColumnsWarning(file, columns.ignored, knownProductHeaders()),
    );
  const run = new ProductImport(account.id, columns, file, isoNow(ctx.clock));
  const restoreSettings = await ctx.repo.products.tuneForImport();
  let rowsRead = 0;
  const applyBatch = async (products: ProductsRepo, batch: ProductRecord[]): Promise<void> => {
    await run.apply(products, batch);
    const before = rowsRead;
    rowsRead += batch.length;
    if (Math.floor(rowsRead / PROGRESS_EVERY_ROWS) > Math.floor(before / PROGRESS_EVERY_ROWS)) {
      ctx.logger.progress(`${STEP} ${account.name}: ${rowsRead.toLocaleString('en-GB')} rows`);
    }
  };

  // Each of the import's transactions: tuned for it, and ended only once its last batch is written.
  const inTransaction = (work: (products: ProductsRepo) => Promise<void>): Promise<void> =>
    ctx.repo.transaction(async (repo) => {
      await repo.products.tuneTransactionForImport();
      await run.untilWritten(() => work(repo.products));
    });

  try {
    if (strict || dryRun) {
      // One transaction, so the whole file can be rolled back.
      await inTransaction(async (products) => {
        for (;;) {
          const batch = reader.takeReady();
          if (batch) await applyBatch(products, batch);
          else if (reader.finished) break;
          else await reader.waitForInput(Infinity);
        }
        await run.resolveDeferred(products);
        if (dryRun || run.rejectedAny(reader.problem)) throw new RollBack();
      }).catch((err: unknown) => {
        if (!(err instanceof RollBack)) throw err;
      });
    } else {
      // A transaction takes rows while they come, and commits when the input makes it wait longer than
      // INPUT_WAIT_IN_TRANSACTION_MS, so a slow producer on stdin never holds the database's write lock
      // while the other cron steps wait for it.
      while (!reader.finished) {
        await reader.waitUntilReady();
        await inTransaction(async (products) => {
          for (const commitAt = performance.now() + MAX_TRANSACTION_MS; performance.now() < commitAt;) {
            const batch = reader.takeReady();
            if (batch) {
              await applyBatch(products, batch);
            } else if (reader.finished || !(await reader.waitForInput(INPUT_WAIT_IN_TRANSACTION_MS))) {
              break;
            }
          }
          if (reader.finished) await run.resolveDeferred(products);
        });
      }
    }
  } finally {
    ctx.logger.progressDone();
    await restoreSettings();
  }

  const errors = run.errors();
  if (reader.problem) errors.push({ file, line: reader.problem.line, message: reader.problem.message });
  errors.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  let counts = run.counts;
  if (strict && !dryRun && errors.length > 0) {
    counts = { ...emptyCounts(), rejected: run.counts.rejected };
    errors.push({
      file,
      message: `--strict: nothing was imported because the file has ${describeRejections(run.counts.rejected, reader.problem)}`,
    });
  }
  return { counts, errors, details: { file, ignored_columns: columns.ignored } };
}

function describeRejections(rejected: number, problem: FileProblem | null): string {
  const rows = `${rejected} rejected row${rejected === 1 ? '' : 's'}`;
  return problem ? `${rows} and an unreadable part` : rows;
}
