/**
 * Issue 15.2: heartbeat pings for cron monitors. The built binary runs sync steps against local Edge
 * folders (the accounts are added in-process); a local HTTP server started by the test plays
 * healthchecks.io and records every ping in order.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { assertUsageError, runCli, tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';

const NOW = { JL_EDGE_NOW: '2026-03-01T10:15:02.000Z' };

interface Ping {
  method: string;
  path: string;
  body: string;
}

/** An HTTP server that answers every request with 200 and remembers it. */
async function startMonitor(): Promise<{ url: string; pings: Ping[]; close(): Promise<void> }> {
  const pings: Ping[] = [];
  const server: Server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      pings.push({ method: request.method!, path: request.url!, body: Buffer.concat(chunks).toString('utf8') });
      response.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pings,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the monitor sees from one run: a GET of `<base>/start`, then a POST of the summary to `end`. */
function startThenEnd(base: string, end: string, summary: string): Ping[] {
  return [
    { method: 'GET', path: `${base}/start`, body: '' },
    { method: 'POST', path: end, body: summary },
  ];
}

describe('heartbeat pings', () => {
  const tmp = tempDir('jl-edge-heartbeat-');
  let monitor: Awaited<ReturnType<typeof startMonitor>>;
  let db: string;
  let round = 0;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli([...args, '--db', db], { cwd: tmp.dir, env: { ...NOW, ...env } });
  const edge = (account: string, folder = '') => tmp.path(`round-${round}`, account, 'live', folder);
  /** `accounts add <name> --local-root …` (in-process: the runs after it are what is tested). */
  const addAccount = async (name: string, pingUrl: string | null = null) => {
    for (const folder of ['incoming', 'outgoing', 'inventory/errors'])
      mkdirSync(edge(name, folder), { recursive: true });
    const jlEdge = inProcess({ db, dir: tmp.dir, env: NOW });
    await jlEdge.addLocalAccount(name, tmp.path(`round-${round}`, name), { pingUrl });
  };

  before(async () => {
    monitor = await startMonitor();
  });
  after(async () => {
    await monitor.close();
    tmp.remove();
  });
  beforeEach(() => {
    round += 1;
    db = tmp.path(`round-${round}.sqlite`);
    monitor.pings.length = 0;
  });

  it('a step that does its job pings <url>/start, then <url> with its counts', async () => {
    await addAccount('acme', `${monitor.url}/ping/acme-key`);

    const run = await cli(['download-orders', '--quiet']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout + run.stderr, '');
    assert.deepEqual(
      monitor.pings,
      startThenEnd(
        '/ping/acme-key',
        '/ping/acme-key',
        'download-orders acme: exit 0; downloaded 0, incomplete 0, duplicates 0, rejected 0, skipped 0\n',
      ),
    );
  });

  it('a step that cannot do its job pings <url>/fail, with no error text', async () => {
    await addAccount('acme', `${monitor.url}/ping/acme-key`);
    rmSync(edge('acme', 'incoming'), { recursive: true });

    const run = await cli(['download-orders', '--quiet']);

    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot list the order folder/);
    assert.deepEqual(
      monitor.pings,
      startThenEnd('/ping/acme-key', '/ping/acme-key/fail', 'download-orders acme: exit 1\n'),
    );
  });

  it('a step that did its job with a failed item (an incomplete order) pings success: status reports the item', async () => {
    await addAccount('acme', `${monitor.url}/ping/acme-key`);
    const broken = orderFile({ order: orderSection('Y100000009'), items: [item('1', '12345678', '1')], count: 7 });
    writeFileSync(edge('acme', 'incoming/order-20260301101500000002.txt'), broken);
    writeFileSync(edge('acme', 'incoming/order-20260301101500000002.txt.DONE'), '');

    const run = await cli(['download-orders', '--quiet']);

    assert.equal(run.code, 1);
    assert.deepEqual(
      monitor.pings,
      startThenEnd(
        '/ping/acme-key',
        '/ping/acme-key',
        'download-orders acme: exit 1; downloaded 0, incomplete 1, duplicates 0, rejected 0, skipped 0\n',
      ),
    );
  });

  it("JL_EDGE_PING_URL serves every account without its own URL; an account's own URL wins; 'none' clears it", async () => {
    await addAccount('acme', `${monitor.url}/own?rid=1`);
    await addAccount('beta');

    const run = await cli(['send-refunds', '--quiet'], { JL_EDGE_PING_URL: `${monitor.url}/global` });

    assert.equal(run.code, 0, run.stderr);
    const seen = (prefix: string) => monitor.pings.filter((p) => p.path.startsWith(prefix));
    assert.deepEqual(seen('/own'), [
      { method: 'GET', path: '/own/start?rid=1', body: '' },
      {
        method: 'POST',
        path: '/own?rid=1',
        body: 'send-refunds acme: exit 0; sent 0, failed 0, pending 0, waiting 0\n',
      },
    ]);
    assert.deepEqual(seen('/global'), [
      { method: 'GET', path: '/global/start', body: '' },
      { method: 'POST', path: '/global', body: 'send-refunds beta: exit 0; sent 0, failed 0, pending 0, waiting 0\n' },
    ]);

    assert.equal((await cli(['accounts', 'set', 'acme', '--ping-url', 'none'])).code, 0);
    monitor.pings.length = 0;
    assert.equal((await cli(['send-refunds', '--quiet', '--account', 'acme'])).code, 0);
    assert.deepEqual(monitor.pings, [], 'no URL of its own and no JL_EDGE_PING_URL: no ping');
  });

  it('a dry run, and a run that finds the lock held (exit 75), send no ping', async () => {
    await addAccount('acme', `${monitor.url}/ping/acme-key`);

    const dry = await cli(['download-orders', '--dry-run', '--quiet']);
    const database = new Database(db);
    database
      .prepare(
        'insert into locks (step, account, owner, pid, host, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('download-orders', 'acme', 'another-run', 4242, 'other-host', NOW.JL_EDGE_NOW, NOW.JL_EDGE_NOW);
    database.close();
    const locked = await cli(['download-orders', '--quiet']);

    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(locked.code, 75, locked.stderr);
    assert.deepEqual(monitor.pings, []);
  });

  it('--ping-url refuses what is not an http(s) URL (exit 2)', async () => {
    await addAccount('acme');

    const run = await cli(['accounts', 'set', 'acme', '--ping-url', 'ftp://monitor.example.com/x']);

    assertUsageError(
      run,
      'jl-edge accounts set: --ping-url: "ftp://monitor.example.com/x" must start with https:// or http://\n',
    );
  });

  it('a monitor that accepts the connection and never answers costs the run at most the ping timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      await addAccount('acme', `http://127.0.0.1:${port}/ping/acme-key`);

      const run = await cli(['download-orders']);

      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        'download-orders acme: 0 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 0 skipped\n',
      );
      assert.equal(run.stderr, '');
      assert.ok(sockets.length >= 1, 'the start ping reached the silent monitor');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
