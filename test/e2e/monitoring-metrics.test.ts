/**
 * Issue 15.1: `status --format prometheus` and `--textfile` through the built binary, on a database seeded
 * by real runs against local Edge folders (two accounts, one disabled): the whole exposition text, Prometheus'
 * own checker (promtool), the atomic textfile and the README's list of metrics.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { setAccount } from '../../src/commands/accounts.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { shipOrder } from '../../src/commands/orders-ship.js';
import { pushStock } from '../../src/commands/push-stock.js';
import { sendShipments } from '../../src/commands/send-shipments.js';
import type { Context } from '../../src/core/context.js';
import type { StepResult } from '../../src/core/step.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { checkMetrics, promtoolSkip } from '../helpers/promtool.js';
import { ENGINE_LABEL, createTestDb, type TestDb } from '../helpers/test-db.js';
import { item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';

const EXAMPLES = new URL('../fixtures/edge-examples/', import.meta.url);
const NOW = '2026-03-04T12:00:00.000Z';
/** The exposition of the seeded database at NOW, checked by hand against the runs below. */
const EXPECTED = readFileSync(new URL('../fixtures/monitoring/status-metrics.prom', import.meta.url), 'utf8');

describe(`status as Prometheus metrics${ENGINE_LABEL}`, () => {
  const tmp = tempDir('jl-edge-metrics-');
  let db: TestDb;
  const cli = (args: string[], now = NOW) =>
    runCli([...args, '--db', db.url], { cwd: tmp.dir, env: { JL_EDGE_NOW: now } });
  const incoming = (name: string) => tmp.path('edge/live/incoming', name);
  const dropOrder = (name: string, content: Buffer) => {
    writeFileSync(incoming(name), content);
    writeFileSync(incoming(`${name}.DONE`), '');
  };
  const dropExample = (name: string, folder: string) => {
    copyFileSync(new URL(name, EXAMPLES), tmp.path('edge/live', folder, name));
    writeFileSync(tmp.path('edge/live', folder, `${name}.DONE`), '');
  };
  /** Runs a command for account acme in-process at `now` (the history status then reads). */
  const call = <T>(command: (ctx: Context) => Promise<T>, now = NOW): Promise<T> =>
    inProcess({ db: db.url, dir: tmp.dir, env: { JL_EDGE_NOW: now } }).run(command, { account: 'acme' });
  const succeeds = async (command: (ctx: Context) => Promise<StepResult>, now: string, code = 0) => {
    const result = await call(command, now);
    assert.equal(result.exitCode, code, `${result.command}: ${JSON.stringify(result.accounts)}`);
  };

  before(async () => {
    for (const folder of ['incoming', 'outgoing', 'inventory/errors'])
      mkdirSync(tmp.path('edge/live', folder), { recursive: true });
    db = createTestDb(tmp.path('db.sqlite'));
    const accounts = inProcess({ db: db.url, dir: tmp.dir, env: { JL_EDGE_NOW: NOW } });
    await accounts.addLocalAccount('acme', tmp.path('edge'));
    await accounts.addLocalAccount('beta', tmp.path('edge-beta'));
    await accounts.run((ctx) => setAccount(ctx, 'beta', { enabled: false }));

    // Day 1: the example order (acknowledged a minute later) and one whose count line is wrong (incomplete).
    dropExample('order-20260301101500123456.txt', 'incoming');
    dropOrder(
      'order-20260301101500000002.txt',
      orderFile({ order: orderSection('Y100000009'), items: [item('1', '12345678', '1')], count: 7 }),
    );
    const download = (ctx: Context) => downloadOrders(ctx, {});
    await succeeds(download, '2026-03-01T10:15:02.000Z', 1);
    await succeeds(ackOrders, '2026-03-01T10:16:00.000Z');
    dropExample('inventory-20260301101500000001-errors.csv', 'inventory/errors');
    await succeeds((ctx) => pushStock(ctx, { full: false }), '2026-03-01T10:17:00.000Z');

    // Day 2: an order promised for 2026-03-03, never acknowledged; the customer asks to cancel a line of the
    // example order; one of its lines is recorded as shipped, and the upload fails (no outgoing folder).
    dropOrder(
      'order-20260302090000000003.txt',
      orderFile({
        order: orderSection('Y100000010'),
        items: [item('1', '12345678', '1', { promised_date: '2026-03-03T00:00:00' })],
      }),
    );
    dropExample('cancel-20260302090000000001.txt', 'incoming');
    await succeeds(download, '2026-03-02T09:05:00.000Z');
    await call(
      (ctx) => shipOrder(ctx, 'Y100012345', { lines: ['2'], carrier: 'dpd', tracking: 'T1' }),
      '2026-03-02T09:10:00.000Z',
    );
    rmSync(tmp.path('edge/live/outgoing'), { recursive: true });
    await succeeds(sendShipments, '2026-03-02T09:15:30.000Z', 1);

    // Now: another host's send-cancels run holds its lock; beta's log has a step whose name needs escaping.
    db.run(
      'insert into locks (step, account, owner, pid, host, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)',
      'send-cancels',
      'acme',
      'another-run',
      4242,
      'other-host',
      '2026-03-04T11:50:00.000Z',
      '2026-03-04T11:59:30.000Z',
    );
    const [beta] = db.rows<{ id: number }>('select id from accounts where name = ?', 'beta');
    db.run(
      'insert into runs (step, account_id, started_at, ended_at, outcome, exit_code) values (?, ?, ?, ?, ?, ?)',
      'odd "step" \\ name\nline 2',
      beta!.id,
      '2026-03-03T08:00:00.000Z',
      '2026-03-03T08:00:02.500Z',
      'ok',
      0,
    );
  });
  after(() => tmp.remove());

  it('prints every figure of status for every account', async () => {
    const run = await cli(['status', '--format', 'prometheus']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, EXPECTED);
  });

  it('passes promtool check metrics', { skip: promtoolSkip }, async () => {
    const run = await cli(['status', '--format', 'prometheus']);

    assert.deepEqual(checkMetrics(run.stdout), { code: 0, output: '' });
  });

  it('--textfile writes the same text through a temp file and a rename, replacing the previous one', async () => {
    const folder = tmp.path('textfile');
    mkdirSync(folder);
    writeFileSync(tmp.path('textfile/jl_edge.prom'), 'old\n');

    const run = await cli(['status', '--textfile', tmp.path('textfile/jl_edge.prom'), '--quiet']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout + run.stderr, '');
    assert.equal(readFileSync(tmp.path('textfile/jl_edge.prom'), 'utf8'), EXPECTED);
    assert.deepEqual(readdirSync(folder), ['jl_edge.prom'], 'no temp file left behind');
  });

  it('--textfile into a folder that does not exist is a configuration error (exit 2)', async () => {
    const path = tmp.path('no-such-folder/jl_edge.prom');

    const run = await cli(['status', '--textfile', path]);

    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^jl-edge status: cannot write the textfile .*no-such-folder\/jl_edge\.prom: ENOENT/);
  });

  it('--dry-run says where it would write and writes nothing', async () => {
    const path = tmp.path('dry.prom');

    const run = await cli(['status', '--textfile', path, '--dry-run']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `status: would write ${path}\n`);
    assert.throws(() => readFileSync(path), /ENOENT/);
  });

  it('refuses --json and --format text with metrics', async () => {
    const json = await cli(['status', '--format', 'prometheus', '--json']);
    const text = await cli(['status', '--format', 'text', '--textfile', tmp.path('x.prom')]);

    assert.equal(json.code, 2);
    assert.match(json.stderr, /--json and Prometheus metrics are two formats: choose one/);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /--textfile writes Prometheus metrics, not --format text/);
  });

  it('the README lists every metric', async () => {
    const run = await cli(['status', '--format', 'prometheus']);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const names = [...run.stdout.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

    assert.equal(names.length, 28);
    assert.deepEqual(
      names.filter((name) => !readme.includes(`\`${name}\``)),
      [],
    );
  });
});
