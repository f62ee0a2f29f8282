/**
 * SPEC §8: `jl-edge ack-orders` of 1,000 orders awaiting their acknowledgement, to a real OpenSSH sshd on
 * loopback, against OpenSSH `sftp -b` uploading the same 2,000 files prepared beforehand (1,000
 * acknowledgements, each followed by its empty `.DONE` marker). Target ratio ≤ 1.0.
 *
 * Untimed setup: the orders are downloaded once by jl-edge itself; the prepared files are the very files
 * an earlier ack-orders run wrote, so both sides upload the same bytes.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Benchmark } from './harness.js';
import {
  ACCOUNT,
  BenchServer,
  OUTGOING,
  copyDatabase,
  countRows,
  createDownloadedDatabase,
  jlEdge,
  runJlEdge,
} from './edge-server.js';

const FULL_ORDERS = 1_000;

function orderCount(ctx: BenchContext): number {
  return Math.max(1, Math.round(FULL_ORDERS * ctx.scale));
}

/** 1,000 orders awaiting acknowledgement: the state every run starts from. */
const downloadedDatabase = (ctx: BenchContext): string => join(ctx.workDir, 'downloaded.sqlite');
const databasePath = (ctx: BenchContext): string => join(ctx.workDir, 'jl-edge.sqlite');
const preparedFolder = (ctx: BenchContext): string => join(ctx.workDir, 'prepared');

const server = new BenchServer();

export const ackOrdersBenchmark: Benchmark = {
  name: 'ack-orders',
  targetRatio: 1.0,
  describe: (ctx) => `${orderCount(ctx).toLocaleString('en-GB')} orders`,

  async prepare(ctx) {
    await server.start();
    createDownloadedDatabase(ctx, downloadedDatabase(ctx), server, orderCount(ctx));

    copyDatabase(downloadedDatabase(ctx), databasePath(ctx));
    server.emptyFolder(OUTGOING);
    runJlEdge(ctx, databasePath(ctx), ['ack-orders', '--account', ACCOUNT]);
    rmSync(preparedFolder(ctx), { recursive: true, force: true });
    cpSync(server.local(OUTGOING), preparedFolder(ctx), { recursive: true });
    const prepared = readdirSync(preparedFolder(ctx)).length;
    if (prepared !== 2 * orderCount(ctx))
      throw new Error(`the setup run of ack-orders wrote ${prepared} files, expected ${2 * orderCount(ctx)}`);
  },

  async reference(ctx) {
    server.emptyFolder(OUTGOING);
    // sftp expands the glob in name order: every acknowledgement goes up before its marker.
    return server.sftpBatch(ctx, [`put ${preparedFolder(ctx)}/* ${OUTGOING}/`]);
  },

  async subject(ctx) {
    server.emptyFolder(OUTGOING);
    copyDatabase(downloadedDatabase(ctx), databasePath(ctx));
    return jlEdge(ctx, databasePath(ctx), ['ack-orders', '--account', ACCOUNT]);
  },

  /** Every order acknowledged: its file and marker on the server, the order ready to ship. */
  async check(ctx) {
    const expected = orderCount(ctx);
    const names = readdirSync(server.local(OUTGOING));
    const acknowledgements = names.filter((name) => name.endsWith('.ack')).length;
    const markers = names.filter((name) => name.endsWith('.ack.DONE')).length;
    const ready = countRows(databasePath(ctx), "select count(*) as n from orders where status = 'ready_to_ship'");
    if (acknowledgements !== expected || markers !== expected || ready !== expected) {
      throw new Error(
        `ack-orders left ${acknowledgements} acknowledgements, ${markers} markers and ${ready} orders ready to ship; expected ${expected} each`,
      );
    }
  },

  async dispose() {
    await server.stop();
  },
};
