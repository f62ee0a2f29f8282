/**
 * Running it for real (issue 6): status, updates retry/resend, unlock, sync and prune through the built
 * binary against a real OpenSSH sshd, and every crontab.example line run as written. The set-up runs
 * (the download, the failing acknowledgements) and status's result run in-process against the same
 * server and database; exit codes and printed output are the binary's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { addDestination } from '../../src/commands/destinations.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { status as accountsStatus } from '../../src/commands/status.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { EXAMPLE_ORDER_NUMBER, item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, OUTGOING } from '../fixtures/orders/edge-world.js';

const EXAMPLE = readFileSync(new URL('../fixtures/edge-examples/order-20260301101500123456.txt', import.meta.url));
const EXAMPLE_ACK = readFileSync(new URL('../fixtures/edge-examples/order-20260301101502000001.ack', import.meta.url));
const NOW = { JL_EDGE_NOW: '2026-03-01T10:15:02Z' };
/** The name ack-orders gives the first acknowledgement with the clock pinned at NOW. */
const ACK_NAME = 'order-20260301101502000000.ack';
const BROKEN_ORDER = 'Y100000009';

interface StepState {
  step: string;
  outcome: string;
  exit_code: number | null;
  counts: Record<string, number>;
}
interface AccountStatus {
  account: string;
  steps: StepState[];
  orders: Record<string, number>;
  incomplete_orders: { order_number: string; created_at: string; errors: { severity: string; message: string }[] }[];
  updates: {
    id: number;
    flow: string;
    order_number: string;
    file: string;
    status: string;
    attempts: number;
    last_error: string;
  }[];
  locks: { step: string; pid: number; host: string; stale: boolean }[];
  attention: string[];
}

function insertLock(world: EdgeWorld, lock: { step: string; pid: number; host: string; heartbeatAt: string }): void {
  world.exec(
    'insert into locks (step, account, owner, pid, host, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)',
    lock.step,
    ACCOUNT,
    'someone-else',
    lock.pid,
    lock.host,
    lock.heartbeatAt,
    lock.heartbeatAt,
  );
}

describe(`operations against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest(async (w) => {
    w.putOrder(orderFileName(1), EXAMPLE);
    w.putOrder(
      orderFileName(2),
      orderFile({ order: orderSection(BROKEN_ORDER), items: [item('1', '12345678', '1')], count: 7 }),
    );
    const download = await jlEdgeIn(w).run((ctx) => downloadOrders(ctx, {}));
    assert.equal(download.exitCode, 1, 'the broken order makes the download exit 1');
  });
  /** In-process runs on the world's database and server, at the runs' own time. */
  function jlEdgeIn(w: EdgeWorld) {
    return inProcess({ db: w.db, dir: w.dir, env: NOW });
  }

  /** Makes the acknowledgement's upload fail until `clear()`: a folder stands where the file must go. */
  const blockAckUpload = () => {
    const blocker = world.local(`${OUTGOING}/${ACK_NAME}`);
    mkdirSync(blocker);
    return { clear: () => rmdirSync(blocker) };
  };
  const failAckFiveTimes = async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const run = await jlEdgeIn(world).run(ackOrders);
      assert.equal(run.exitCode, 1, `attempt ${attempt}: ${JSON.stringify(run.accounts)}`);
    }
  };
  // At the runs' own time: later, every step would also be reported stale.
  const status = async () => {
    const result = await jlEdgeIn(world).run(accountsStatus);
    return {
      needsAttention: result.needs_attention,
      account: JSON.parse(JSON.stringify(result.accounts[0])) as AccountStatus,
    };
  };

  it("status --json reports a failed update, an incomplete order, a stale lock and each step's last run", async () => {
    const block = blockAckUpload();
    await failAckFiveTimes();
    block.clear();
    insertLock(world, {
      step: 'push-stock',
      pid: 4242,
      host: 'cron-2.example',
      heartbeatAt: '2026-03-01T09:00:00.000Z',
    });

    const { needsAttention, account } = await status();
    assert.equal(needsAttention, true, 'something needs a person');
    assert.deepEqual(
      account.steps.map((s) => [s.step, s.outcome, s.exit_code]),
      [
        ['download-orders', 'partial', 1],
        ['ack-orders', 'partial', 1],
        ['push-stock', 'never run', null],
        ['send-shipments', 'never run', null],
        ['send-cancels', 'never run', null],
        ['send-refunds', 'never run', null],
      ],
    );
    assert.deepEqual(account.steps[0]!.counts, {
      downloaded: 1,
      incomplete: 1,
      duplicates: 0,
      rejected: 0,
      skipped: 0,
    });
    assert.deepEqual(account.orders, { awaiting_ack: 1, incomplete: 1 });
    assert.deepEqual(account.incomplete_orders, [
      {
        order_number: BROKEN_ORDER,
        created_at: account.incomplete_orders[0]!.created_at,
        errors: [
          {
            severity: 'high',
            message: 'There is a mismatch between expected lines and actual read lines within the order file',
          },
          {
            severity: 'low',
            message:
              'line 4: part_number 12345678 matches no product of account acme (no product has this channel item id)',
          },
        ],
      },
    ]);
    assert.equal(account.updates.length, 1);
    const failed = account.updates[0]!;
    assert.deepEqual(
      { ...failed, last_error: undefined },
      {
        id: failed.id,
        flow: 'OrderAcknowledge',
        order_number: EXAMPLE_ORDER_NUMBER,
        file: ACK_NAME,
        status: 'failed',
        attempts: 5,
        last_error: undefined,
        created_at: (failed as unknown as { created_at: string }).created_at,
      },
    );
    assert.match(failed.last_error, new RegExp(ACK_NAME.replace('.', '\\.')));
    assert.deepEqual(account.locks, [
      {
        step: 'push-stock',
        pid: 4242,
        host: 'cron-2.example',
        acquired_at: '2026-03-01T09:00:00.000Z',
        heartbeat_at: '2026-03-01T09:00:00.000Z',
        stale: true,
      },
    ]);
    assert.equal(account.attention.length, 3);
    assert.match(
      account.attention[0]!,
      new RegExp(
        `^OrderAcknowledge ${ACK_NAME.replace('.', '\\.')} for order ${EXAMPLE_ORDER_NUMBER} failed after 5 attempts: .* \\(jl-edge updates retry ${failed.id}\\)$`,
      ),
    );
    assert.equal(
      account.attention[1],
      `order ${BROKEN_ORDER} is incomplete: There is a mismatch between expected lines and actual read lines within the order file`,
    );
    assert.match(
      account.attention[2]!,
      /^stale lock on push-stock \(pid 4242 on cron-2\.example, last heartbeat 2026-03-01T09:00:00\.000Z\): jl-edge unlock push-stock --account acme$/,
    );

    const human = await world.cli(['status']);
    assert.equal(human.code, 1);
    assert.doesNotMatch(human.stdout, /\x1b\[/, 'no colour when not on a terminal');
    assert.match(human.stdout, /^acme\n {2}download-orders {3}2026-03-01 10:15:02Z/);
  });

  it('status names a step that could not run at all, with its reason', async () => {
    await world.cli(['accounts', 'set', ACCOUNT, '--host-key', `SHA256:${'A'.repeat(43)}`]);
    const refused = await world.cli(['download-orders']);
    assert.equal(refused.code, 3);
    const { needsAttention, account } = await status();
    assert.equal(needsAttention, true);
    assert.deepEqual(account.steps[0]!.outcome, 'failed');
    assert.match(
      account.attention[0]!,
      new RegExp(
        `^the last download-orders run failed \\(exit 3\\): host key mismatch for 127\\.0\\.0\\.1:${world.server.port}: pinned SHA256:A{43}, but the server holds ssh-ed25519 ${world.server.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`,
      ),
    );
  });

  it('updates retry sends a failed update under its original name; updates resend uploads a sent one again', async () => {
    const block = blockAckUpload();
    await failAckFiveTimes();
    block.clear();
    const [failed] = world.rows<{ id: number; status: string }>('select id, status from outbox');
    assert.equal(failed!.status, 'failed');

    const retry = await world.cli(['updates', 'retry', String(failed!.id), '--json'], { env: NOW });
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal(retry.json<{ update: { status: string; file: string } }>().update.status, 'sent');
    const files = world.files(OUTGOING);
    assert.deepEqual([...files.keys()], [ACK_NAME, `${ACK_NAME}.DONE`]);
    assert.deepEqual(files.get(ACK_NAME), EXAMPLE_ACK);
    assert.deepEqual(world.rows('select status from orders where order_number = ?', EXAMPLE_ORDER_NUMBER), [
      { status: 'ready_to_ship' },
    ]);

    // The Edge lost the file: resend puts the same bytes back under the same name, and nothing else changes.
    unlinkSync(world.local(`${OUTGOING}/${ACK_NAME}`));
    unlinkSync(world.local(`${OUTGOING}/${ACK_NAME}.DONE`));
    const resend = await world.cli(['updates', 'resend', String(failed!.id)]);
    assert.equal(resend.code, 0, resend.stderr);
    assert.equal(resend.stdout, 'updates acme: 1 resent\n');
    const again = world.files(OUTGOING);
    assert.deepEqual([...again.keys()], [ACK_NAME, `${ACK_NAME}.DONE`]);
    assert.deepEqual(again.get(ACK_NAME), EXAMPLE_ACK);
    assert.deepEqual(world.rows('select count(*) as n from outbox'), [{ n: 1 }]);
    assert.deepEqual(world.rows("select step, outcome from runs where step = 'updates'"), [
      { step: 'updates', outcome: 'ok' },
    ]);

    const wrongState = await world.cli(['updates', 'retry', String(failed!.id)]);
    assert.equal(wrongState.code, 2);
    assert.match(
      wrongState.stderr,
      new RegExp(`update ${failed!.id} is sent, not failed: use jl-edge updates resend ${failed!.id}`),
    );
  });

  it('updates resend refuses while another update of the same order is in flight, and sends nothing', async () => {
    const ack = await world.cli(['ack-orders'], { env: NOW });
    assert.equal(ack.code, 0, ack.stderr);
    const ship = await world.cli(['orders', 'ship', EXAMPLE_ORDER_NUMBER, '--carrier', 'dpd', '--tracking', 'DPD-1'], {
      env: NOW,
    });
    assert.equal(ship.code, 0, ship.stderr);
    const crashed = await world.cli(['send-shipments'], { env: { ...NOW, JL_EDGE_FAULT: 'after-claim' } });
    assert.equal(crashed.code, -1, 'killed after storing the tracking file, before uploading it');
    const [sentAck, pendingTracking] = world.rows<{ id: number; remote_name: string; status: string }>(
      'select id, remote_name, status from outbox order by id',
    );
    assert.deepEqual([sentAck!.status, pendingTracking!.status], ['sent', 'pending']);
    unlinkSync(world.local(`${OUTGOING}/${ACK_NAME}.DONE`));
    unlinkSync(world.local(`${OUTGOING}/${ACK_NAME}`));

    // One update in flight per order (SPEC §3): the acknowledgement must not go out beside the tracking file.
    const resend = await world.cli(['updates', 'resend', String(sentAck!.id)]);
    assert.equal(resend.code, 2);
    assert.ok(
      resend.stderr.endsWith(
        `: update ${sentAck!.id} waits: ${pendingTracking!.remote_name} (update ${pendingTracking!.id}) for the same order is still being sent; resend once it is sent or failed\n`,
      ),
      resend.stderr,
    );
    assert.deepEqual([...world.files(OUTGOING).keys()], []);
  });

  it('unlock frees a lock held by a live run elsewhere, saying whose it was, so the step runs', async () => {
    insertLock(world, {
      step: 'ack-orders',
      pid: 777,
      host: 'cron-2.example',
      heartbeatAt: new Date().toISOString(),
    });
    const blocked = await world.cli(['ack-orders']);
    assert.equal(blocked.code, 75);
    assert.match(
      blocked.stderr,
      /acme ack-orders: ack-orders for account "acme" is already running: held by pid 777 on cron-2\.example/,
    );

    const unlock = await world.cli(['unlock', 'ack-orders', '--account', ACCOUNT]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.match(unlock.stdout, /^ack-orders acme: released the lock of pid 777 on cron-2\.example \(since .*\)\n$/);
    const runs = await world.cli(['ack-orders'], { env: NOW });
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(world.rows('select * from locks'), []);
  });

  it('sync runs every step in order and exits with the worst code', async () => {
    world.putOrder(
      orderFileName(3),
      orderFile({ order: orderSection('Y100000010'), items: [item('1', '12345678', 'two')] }),
    );
    const sync = await world.cli(['sync', '--json'], { env: NOW });
    const result = sync.json<{ exit_code: number; steps: { command: string; accounts: { exit_code: number }[] }[] }>();
    assert.deepEqual(
      result.steps.map((s) => [s.command, s.accounts[0]!.exit_code]),
      [
        ['download-orders', 1],
        ['ack-orders', 0],
        ['push-stock', 0],
        ['send-shipments', 0],
        ['send-cancels', 0],
        ['send-refunds', 0],
      ],
    );
    assert.equal(result.exit_code, 1);
    assert.equal(sync.code, 1);
    assert.ok(world.files(OUTGOING).has(ACK_NAME), 'the acknowledgement went out after the failed download');
  });

  it('prune removes old raw copies and run-log rows but keeps orders and unsent updates', async () => {
    const crashed = await world.cli(['ack-orders'], { env: { ...NOW, JL_EDGE_FAULT: 'after-claim' } });
    assert.equal(crashed.code, -1, 'killed after storing the acknowledgement, before uploading it');
    const prune = await world.cli(['prune', '--older-than', '30', '--json'], {
      env: { JL_EDGE_NOW: '2026-06-01T00:00:00Z' },
    });
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(
      { ...prune.json<Record<string, unknown>>(), cutoff: undefined },
      {
        command: 'prune',
        older_than_days: 30,
        cutoff: undefined,
        raw_copies_removed: 2,
        sent_file_contents_removed: 0,
        runs_removed: 2,
      },
    );
    assert.deepEqual(world.rows('select remote_name, raw from inbound_files order by id'), [
      { remote_name: orderFileName(1), raw: null },
      { remote_name: orderFileName(2), raw: null },
    ]);
    assert.deepEqual(world.rows('select order_number, status from orders order by id'), [
      { order_number: EXAMPLE_ORDER_NUMBER, status: 'awaiting_ack' },
      { order_number: BROKEN_ORDER, status: 'incomplete' },
    ]);
    assert.deepEqual(world.rows('select status, content from outbox'), [{ status: 'pending', content: EXAMPLE_ACK }]);
    const finish = await world.cli(['ack-orders'], { env: NOW });
    assert.equal(finish.code, 0, finish.stderr);
    assert.deepEqual(world.files(OUTGOING).get(ACK_NAME), EXAMPLE_ACK);
  });
});

describe('crontab.example', () => {
  it('every line runs as written (with --dry-run) against a sandbox account', async () => {
    const tmp = tempDir();
    try {
      for (const folder of ['live/incoming', 'live/outgoing', 'live/inventory/errors'])
        mkdirSync(tmp.path('edge', folder), { recursive: true });
      const db = tmp.path('db.sqlite');
      const jlEdge = inProcess({ db, dir: tmp.dir });
      await jlEdge.addLocalAccount('sandbox', tmp.path('edge'));
      // The warehouse lines collect from the inbox of destination "shed".
      for (const folder of ['out', 'in']) mkdirSync(tmp.path('warehouse', folder), { recursive: true });
      const shed = { dir: tmp.path('warehouse/out'), inbox: tmp.path('warehouse/in') };
      await jlEdge.run((ctx) => addDestination(ctx, 'shed', shed));
      const crontab = readFileSync(new URL('../../crontab.example', import.meta.url), 'utf8');
      const jobs = crontab.split('\n').filter((line) => /^[\d*]/.test(line));
      assert.ok(jobs.length >= 8, `expected the John Lewis cron group, found ${jobs.length} lines`);
      for (const line of jobs) {
        const match =
          /^(\S+ \S+ \S+ \S+ \S+)\s+cd "\$JL_EDGE_HOME" && \.\/bin\/jl-edge (.+?) >> jl-edge\.log 2>&1$/.exec(line);
        assert.ok(match, `not in the expected form: ${line}`);
        const run = await runCli([...match[2]!.split(/\s+/), '--dry-run', '--db', db], { cwd: tmp.dir });
        assert.equal(run.code, 0, `${match[2]}: exit ${run.code} ${run.stderr}`);
      }
    } finally {
      tmp.remove();
    }
  });
});
