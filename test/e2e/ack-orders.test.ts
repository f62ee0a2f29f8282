/**
 * ack-orders through the built binary against a real OpenSSH sshd (SPEC §4.3, §6.2): the files on the
 * server byte for byte, the outbox and order rows, and what happens after crashes and dropped connections.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CliRun } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { EXAMPLE_ORDER_NUMBER, item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, OUTGOING, waitFor } from '../fixtures/orders/edge-world.js';

const EXAMPLE_FILE = 'order-20260301101500123456.txt';
const EXAMPLE = readFileSync(new URL(`../fixtures/edge-examples/${EXAMPLE_FILE}`, import.meta.url));
/** What jl-edge sends for the example order, account lead time 3, handling 0, on 2026-03-01 (London). */
const EXAMPLE_ACK = readFileSync(new URL('../fixtures/edge-examples/order-20260301101502000001.ack', import.meta.url));
const FIRST_RUN = { JL_EDGE_NOW: '2026-03-01T10:15:02Z' };
const ACK_NAME = /^order-20260301101502\d{6}\.ack$/;

interface OutboxRow {
  id: number;
  flow: string;
  order_id: number;
  remote_dir: string;
  remote_name: string;
  content: Buffer;
  size: number;
  marker: number;
  status: string;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
}
interface Summary {
  accounts: {
    exit_code: number;
    sent: number;
    failed: number;
    pending: number;
    errors: { message: string; file?: string; order?: string }[];
  }[];
}

describe(`ack-orders against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest();

  const outbox = () => world.rows<OutboxRow>('select * from outbox order by id');
  const orderRows = () =>
    world.rows<{ id: number; order_number: string; status: string; acknowledged_at: string | null }>(
      'select * from orders order by id',
    );
  const ack = async (env: Record<string, string> = FIRST_RUN, ...args: string[]) => {
    const run = await world.cli(['ack-orders', '--json', ...args], { env });
    return { run, summary: run.json<Summary>().accounts[0] };
  };
  const downloadExample = async () => {
    world.putOrder(EXAMPLE_FILE, EXAMPLE);
    const run = await world.cli(['download-orders']);
    assert.equal(run.code, 0, run.stderr);
  };
  /** The one acknowledgement on the server, checked to be complete and marked. */
  const sentAck = (): { name: string; content: Buffer } => {
    const files = world.files(OUTGOING);
    assert.equal(files.size, 2, `one file and its marker, got ${[...files.keys()].join(', ')}`);
    const name = [...files.keys()].find((n) => !n.endsWith('.DONE'))!;
    assert.deepEqual(files.get(`${name}.DONE`), Buffer.alloc(0));
    return { name, content: files.get(name)! };
  };

  it('sends the acknowledgement of the example order byte for byte, with its marker, and the order becomes ready_to_ship', async () => {
    await downloadExample();

    const { run, summary } = await ack();

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.sent, summary.failed, summary.pending], [1, 0, 0]);
    const { name, content } = sentAck();
    assert.match(name, ACK_NAME);
    assert.deepEqual(content, EXAMPLE_ACK);
    const [order] = orderRows();
    assert.equal(order.status, 'ready_to_ship');
    assert.match(order.acknowledged_at ?? '', /^2026-03-01T10:15:0\d\.\d{3}Z$/);
    const [row] = outbox();
    assert.deepEqual(
      [
        row.flow,
        row.order_id,
        row.remote_dir,
        row.remote_name,
        row.size,
        row.marker,
        row.status,
        row.attempts,
        row.last_error,
      ],
      ['OrderAcknowledge', order.id, OUTGOING, name, EXAMPLE_ACK.length, 1, 'sent', 1, null],
    );
    assert.deepEqual(row.content, EXAMPLE_ACK);

    // Nothing is ever sent twice.
    const again = await ack({ JL_EDGE_NOW: '2026-03-01T10:20:00Z' });
    assert.deepEqual([again.run.code, again.summary.sent, again.summary.pending], [0, 0, 0]);
    assert.deepEqual(
      world.files(OUTGOING),
      new Map([
        [name, EXAMPLE_ACK],
        [`${name}.DONE`, Buffer.alloc(0)],
      ]),
    );
    assert.equal(outbox().length, 1);
  });

  it('dates the acknowledgement with the handling days and the lead time, in London dates', async () => {
    await world.cli(['accounts', 'set', ACCOUNT, '--handling-days', '1', '--lead-time', '2']);
    await downloadExample();

    // 23:30 UTC on 31 March 2026 is already 1 April in London (BST).
    const { run } = await ack({ JL_EDGE_NOW: '2026-03-31T23:30:00Z' });

    assert.equal(run.code, 0, run.stderr);
    const lines = sentAck().content.toString('utf8').split('\n');
    assert.deepEqual(lines.slice(3, 5), [
      '1,12345678,2,Pending,Direct to Customer,2026-04-02,2026-04-04,',
      '2,87654321,1,Pending,Direct to Customer,2026-04-02,2026-04-04,',
    ]);
  });

  it('gives every acknowledgement of a run its own name, in order', async () => {
    for (let n = 1; n <= 3; n++) {
      world.putOrder(
        orderFileName(n),
        orderFile({ order: orderSection(`Y10000000${n}`), items: [item('1', '11111111', String(n))] }),
      );
    }
    await world.cli(['download-orders']);

    const { summary } = await ack();

    assert.equal(summary.sent, 3);
    const rows = outbox();
    assert.deepEqual(
      rows.map((r) => r.status),
      ['sent', 'sent', 'sent'],
    );
    const names = rows.map((r) => r.remote_name);
    assert.deepEqual([...names].sort(), names);
    assert.equal(new Set(names).size, 3);
    for (const [index, row] of rows.entries()) {
      assert.match(row.remote_name, ACK_NAME);
      assert.deepEqual(world.files(OUTGOING).get(row.remote_name), row.content);
      assert.ok(
        row.content
          .toString('utf8')
          .startsWith(`order_number,supplier_ref\nY10000000${index + 1},JLE-${row.order_id}\n`),
      );
    }
    assert.equal(world.files(OUTGOING).size, 6);
  });

  it('acknowledges forty orders in one run, uploads overlapping: every file complete with its marker, every order ready to ship', async () => {
    for (let n = 1; n <= 40; n++) {
      world.putOrder(
        orderFileName(n),
        orderFile({
          order: orderSection(`Y4000000${String(n).padStart(2, '0')}`),
          items: [item('1', '11111111', String(n))],
        }),
      );
    }
    assert.equal((await world.cli(['download-orders'])).code, 0);

    const { run, summary } = await ack();

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.sent, summary.failed, summary.pending], [40, 0, 0]);
    const rows = outbox();
    assert.deepEqual(
      new Set(rows.map((r) => [r.status, r.attempts, r.sent_at !== null].join())),
      new Set(['sent,1,true']),
    );
    const files = world.files(OUTGOING);
    assert.equal(files.size, 80);
    for (const row of rows) {
      assert.deepEqual(files.get(row.remote_name), row.content);
      assert.deepEqual(files.get(`${row.remote_name}.DONE`), Buffer.alloc(0));
    }
    assert.deepEqual(new Set(orderRows().map((o) => o.status)), new Set(['ready_to_ship']));
  });

  it('prints with --dry-run the file it would send, and changes nothing', async () => {
    await downloadExample();

    const run = await world.cli(['ack-orders', '--dry-run'], { env: FIRST_RUN });

    assert.equal(run.code, 0, run.stderr);
    const expected = EXAMPLE_ACK.toString('utf8')
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
    assert.ok(run.stdout.includes(expected), run.stdout);
    assert.match(
      run.stdout,
      /\/live\/outgoing\/order-20260301101502\d{6}\.ack \(order Y100012345; would be stored and sent; then .*\.ack\.DONE\):/,
    );
    assert.match(run.stdout, /dry run: nothing was stored, sent, moved or deleted/);
    assert.deepEqual(outbox(), []);
    assert.deepEqual(world.files(OUTGOING), new Map());
    assert.equal(orderRows()[0].status, 'awaiting_ack');
  });

  it('finishes after a crash between storing and uploading with the same name and bytes, not a new rendering', async () => {
    await downloadExample();

    const crashed = await world.cli(['ack-orders'], { env: { ...FIRST_RUN, JL_EDGE_FAULT: 'after-claim' } });

    assert.equal(crashed.code, -1, 'the fault hook kills the process');
    const [stored] = outbox();
    assert.deepEqual([stored.status, stored.attempts], ['pending', 0]);
    assert.deepEqual(world.files(OUTGOING), new Map());
    assert.equal(orderRows()[0].status, 'awaiting_ack');

    // Two days later: a fresh rendering would carry other dates and another name.
    const { run, summary } = await ack({ JL_EDGE_NOW: '2026-03-03T08:00:00Z' });

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.sent, summary.pending], [1, 0]);
    assert.deepEqual(sentAck(), { name: stored.remote_name, content: EXAMPLE_ACK });
    assert.equal(outbox().length, 1);
    assert.equal(orderRows()[0].status, 'ready_to_ship');
  });

  it('finishes an upload cut off by a dropped connection on the next run: same name, complete, one marker', async () => {
    await downloadExample();

    const cutOff = world.cli(['ack-orders', '--json'], { env: { ...FIRST_RUN, JL_EDGE_FAULT: 'upload-midway:5000' } });
    // The sender has written the first half under the final name; drop the connection now.
    const half = Math.floor(EXAMPLE_ACK.length / 2);
    let ended: CliRun | null = null;
    void cutOff.then((run) => (ended = run));
    await waitFor(
      () => ended !== null || [...world.files(OUTGOING).values()].some((content) => content.length === half),
    );
    assert.equal(ended, null, 'the run must still be waiting midway');
    world.server.killSessions();
    const failed = await cutOff;

    assert.equal(failed.code, 1);
    const failedSummary = failed.json<Summary>().accounts[0];
    assert.deepEqual([failedSummary.sent, failedSummary.failed, failedSummary.pending], [0, 0, 1]);
    assert.match(failedSummary.errors[0].message, /^upload failed \(attempt 1 of 5\), retried on the next run: /);
    assert.equal(failedSummary.errors[0].order, EXAMPLE_ORDER_NUMBER);
    const [pending] = outbox();
    assert.deepEqual([pending.status, pending.attempts], ['pending', 1]);
    assert.ok(pending.last_error);
    assert.deepEqual(world.files(OUTGOING), new Map([[pending.remote_name, EXAMPLE_ACK.subarray(0, half)]]));
    assert.equal(orderRows()[0].status, 'awaiting_ack');

    const { run, summary } = await ack({ JL_EDGE_NOW: '2026-03-01T10:20:00Z' });

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.sent, summary.pending], [1, 0]);
    assert.deepEqual(sentAck(), { name: pending.remote_name, content: EXAMPLE_ACK });
    const [sent] = outbox();
    assert.deepEqual([sent.status, sent.attempts, sent.last_error], ['sent', 2, null]);
    assert.equal(outbox().length, 1);
    assert.equal(orderRows()[0].status, 'ready_to_ship');
  });

  it('gives up after 5 failed uploads, shows it on the order, and never stores a second acknowledgement', async () => {
    await downloadExample();
    // A folder that does not exist on the server: every upload fails.
    await world.cli(['accounts', 'set-path', ACCOUNT, 'OrderAcknowledge', '/live/missing']);

    const runs = [];
    for (let attempt = 1; attempt <= 6; attempt++) runs.push(await ack());

    assert.deepEqual(
      runs.map(({ run, summary }) => [run.code, summary.sent, summary.failed, summary.pending]),
      [
        [1, 0, 0, 1],
        [1, 0, 0, 1],
        [1, 0, 0, 1],
        [1, 0, 0, 1],
        [1, 0, 1, 0],
        [0, 0, 0, 0],
      ],
    );
    assert.match(
      runs[4].summary.errors[0].message,
      /^upload failed 5 times, not retried again until a person does \(jl-edge updates retry 1\): /,
    );
    const [row] = outbox();
    assert.deepEqual([row.status, row.attempts, row.remote_dir], ['failed', 5, '/live/missing']);
    assert.equal(outbox().length, 1);
    assert.equal(orderRows()[0].status, 'awaiting_ack');
    assert.equal(existsSync(world.local('/live/missing')), false);

    const shown = await world.cli(['orders', 'show', EXAMPLE_ORDER_NUMBER, '--json']);
    const updates = shown.json<{ updates: { flow: string; status: string; attempts: number; last_error: string }[] }>()
      .updates;
    assert.deepEqual(
      updates.map((u) => [u.flow, u.status, u.attempts]),
      [['OrderAcknowledge', 'failed', 5]],
    );
    assert.equal(updates[0].last_error, row.last_error);
  });
});
