/**
 * SPEC §8: `jl-edge download-orders` of 1,000 order files (each with its `.DONE` marker) from a real
 * OpenSSH sshd on loopback into a fresh database, against OpenSSH `sftp -b` fetching the same 1,000 data
 * files (one `get` of the folder's order files: sftp lists the folder to expand it, then fetches each).
 * Target ratio ≤ 1.0.
 */
import { atScale, type BenchContext, type Benchmark } from './harness.js';
import {
  BenchServer,
  INCOMING,
  LINES_PER_ORDER,
  countRows,
  createAccountDatabase,
  downloadFiles,
  downloadFromTemplate,
  emptyFetchFolder,
  writeOrderFiles,
} from './edge-server.js';

const FULL_ORDERS = 1_000;

const orderCount = (ctx: BenchContext): number => atScale(ctx, FULL_ORDERS);

const server = new BenchServer();

export const downloadOrdersBenchmark: Benchmark = {
  name: 'download-orders',
  targetRatio: 1.0,
  describe: (ctx) => `${orderCount(ctx).toLocaleString('en-GB')} order files + markers`,

  async prepare(ctx) {
    await server.start();
    writeOrderFiles(server, orderCount(ctx));
    createAccountDatabase(ctx, downloadFiles(ctx).template, server);
  },

  async reference(ctx) {
    return server.sftpBatch(ctx, [`get ${INCOMING}/order-*.txt ${emptyFetchFolder(ctx)}/`]);
  },

  subject: downloadFromTemplate,

  /** Every file became an order awaiting its acknowledgement, with all its lines. */
  async check(ctx) {
    const expected = orderCount(ctx);
    const { database } = downloadFiles(ctx);
    const orders = countRows(database, "select count(*) as n from orders where status = 'awaiting_ack'");
    const lines = countRows(database, 'select count(*) as n from order_lines where product_id is not null');
    if (orders !== expected || lines !== expected * LINES_PER_ORDER) {
      throw new Error(
        `download-orders stored ${orders} orders awaiting acknowledgement with ${lines} matched lines, expected ${expected} and ${expected * LINES_PER_ORDER}`,
      );
    }
  },

  async dispose() {
    await server.stop();
  },
};
