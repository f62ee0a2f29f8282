/**
 * SPEC §8: `jl-edge download-orders` of 1,000 order files (each with its `.DONE` marker) from a real
 * OpenSSH sshd on loopback into a fresh database, against OpenSSH `sftp -b` fetching the same 1,000 data
 * files (one `get` of the folder's order files: sftp lists the folder to expand it, then fetches each).
 * Target ratio ≤ 1.0.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Benchmark } from './harness.js';
import {
  ACCOUNT,
  BenchServer,
  INCOMING,
  LINES_PER_ORDER,
  copyDatabase,
  countRows,
  createAccountDatabase,
  jlEdge,
  writeOrderFiles,
} from './edge-server.js';

const FULL_ORDERS = 1_000;

function orderCount(ctx: BenchContext): number {
  return Math.max(1, Math.round(FULL_ORDERS * ctx.scale));
}

const templateDatabase = (ctx: BenchContext): string => join(ctx.workDir, 'template.sqlite');
const databasePath = (ctx: BenchContext): string => join(ctx.workDir, 'jl-edge.sqlite');
const referenceFolder = (ctx: BenchContext): string => join(ctx.workDir, 'fetched');

const server = new BenchServer();

export const downloadOrdersBenchmark: Benchmark = {
  name: 'download-orders',
  targetRatio: 1.0,
  describe: (ctx) => `${orderCount(ctx).toLocaleString('en-GB')} order files + markers`,

  async prepare(ctx) {
    await server.start();
    writeOrderFiles(server, orderCount(ctx));
    createAccountDatabase(ctx, templateDatabase(ctx), server);
  },

  async reference(ctx) {
    rmSync(referenceFolder(ctx), { recursive: true, force: true });
    mkdirSync(referenceFolder(ctx));
    return server.sftpBatch(ctx, [`get ${INCOMING}/order-*.txt ${referenceFolder(ctx)}/`]);
  },

  async subject(ctx) {
    copyDatabase(templateDatabase(ctx), databasePath(ctx));
    return jlEdge(ctx, databasePath(ctx), ['download-orders', '--account', ACCOUNT]);
  },

  /** Every file became an order awaiting its acknowledgement, with all its lines. */
  async check(ctx) {
    const expected = orderCount(ctx);
    const orders = countRows(databasePath(ctx), "select count(*) as n from orders where status = 'awaiting_ack'");
    const lines = countRows(databasePath(ctx), 'select count(*) as n from order_lines where product_id is not null');
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
