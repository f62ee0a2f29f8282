/**
 * SPEC §8: a cron run with nothing to do — `jl-edge download-orders` against an empty incoming folder on a
 * real OpenSSH sshd — against `node -e 0` followed by one OpenSSH `sftp -b` listing of that folder, timed
 * as one shell command. Target ratio ≤ 2.0: what a cron run costs beyond starting Node and connecting is
 * opening the database, the lock and the run log.
 */
import { join } from 'node:path';
import type { Benchmark } from './harness.js';
import { ACCOUNT, BenchServer, INCOMING, countRows, createAccountDatabase, jlEdge } from './edge-server.js';

const databasePath = (workDir: string): string => join(workDir, 'jl-edge.sqlite');

const server = new BenchServer();

export const noOpRunBenchmark: Benchmark = {
  name: 'no-op-cron-run',
  targetRatio: 2.0,
  describe: () => 'download-orders, empty incoming folder',
  fixedSize: true,

  async prepare(ctx) {
    await server.start();
    server.emptyFolder(INCOMING);
    createAccountDatabase(ctx, databasePath(ctx.workDir), server);
  },

  async reference(ctx) {
    const sftp = server.sftpBatch(ctx, [`ls ${INCOMING}`]);
    // Positional parameters keep every path unquoted-safe.
    return {
      ...sftp,
      command: '/bin/sh',
      args: ['-c', '"$1" -e 0 && shift && exec "$@"', 'sh', process.execPath, sftp.command, ...sftp.args],
    };
  },

  async subject(ctx) {
    return jlEdge(ctx, databasePath(ctx.workDir), ['download-orders', '--account', ACCOUNT]);
  },

  /** The run connected and finished cleanly, and found nothing. */
  async check(ctx) {
    const db = databasePath(ctx.workDir);
    const lastOk = countRows(
      db,
      "select count(*) as n from runs where id = (select max(id) from runs) and step = 'download-orders' and outcome = 'ok'",
    );
    const orders = countRows(db, 'select count(*) as n from orders');
    if (lastOk !== 1 || orders !== 0)
      throw new Error(`the last download-orders run did not end ok with nothing to do (${orders} orders stored)`);
  },

  async dispose() {
    await server.stop();
  },
};
