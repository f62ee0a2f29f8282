/**
 * SPEC §8: `jl-edge download-orders` after a year in production. Remote files are left in place by default,
 * so the incoming folder holds 50,000 order files (and their markers) that earlier runs processed, plus 10
 * new ones; the database holds the 50,000 orders. The reference is what any client must do for the same
 * work: OpenSSH `sftp -b` listing the folder, then fetching the 10 new files by name. Target ratio ≤ 1.5:
 * what a run does per file it already knows must cost next to nothing, and be asked of the database in
 * one go, not file by file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atScale, type BenchContext, type Benchmark } from './harness.js';
import {
  BenchServer,
  INCOMING,
  benchOrderFile,
  countRows,
  createDownloadedDatabase,
  downloadFiles,
  downloadFromTemplate,
  emptyFetchFolder,
} from './edge-server.js';
import { orderFileName } from '../test/fixtures/orders/edge-order.js';

const FULL_HISTORY = 50_000;
const NEW_FILES = 10;

const historyCount = (ctx: BenchContext): number => atScale(ctx, FULL_HISTORY);

/** The new files' sequence numbers, after the history's. */
function newFileNumbers(ctx: BenchContext): number[] {
  return Array.from({ length: NEW_FILES }, (_, index) => historyCount(ctx) + 1 + index);
}

const server = new BenchServer();

export const downloadHistoryBenchmark: Benchmark = {
  name: 'download-orders-history',
  targetRatio: 1.5,
  describe: (ctx) =>
    `${NEW_FILES} new order files among ${historyCount(ctx).toLocaleString('en-GB')} processed ones + markers`,

  async prepare(ctx) {
    await server.start();
    // The history, downloaded by jl-edge itself, so the database holds what a year of runs left.
    createDownloadedDatabase(ctx, downloadFiles(ctx).template, server, historyCount(ctx));
    const folder = server.local(INCOMING);
    for (const n of newFileNumbers(ctx)) {
      writeFileSync(join(folder, orderFileName(n)), benchOrderFile(n));
      writeFileSync(join(folder, `${orderFileName(n)}.DONE`), '');
    }
  },

  async reference(ctx) {
    const fetched = emptyFetchFolder(ctx);
    return server.sftpBatch(ctx, [
      `ls -l ${INCOMING}`,
      ...newFileNumbers(ctx).map((n) => `get ${INCOMING}/${orderFileName(n)} ${fetched}/`),
    ]);
  },

  subject: downloadFromTemplate,

  /** The new files, and only they, became orders awaiting acknowledgement. */
  async check(ctx) {
    const history = historyCount(ctx);
    const { database } = downloadFiles(ctx);
    const orders = countRows(database, 'select count(*) as n from orders');
    const fresh = countRows(
      database,
      "select count(*) as n from orders where status = 'awaiting_ack' and order_number >= ?",
      `Y2${String(history + 1).padStart(8, '0')}`,
    );
    if (orders !== history + NEW_FILES || fresh !== NEW_FILES) {
      throw new Error(
        `download-orders left ${orders} orders (${fresh} new awaiting acknowledgement), expected ${history + NEW_FILES} (${NEW_FILES} new)`,
      );
    }
  },

  async dispose() {
    await server.stop();
  },
};
