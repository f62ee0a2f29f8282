/**
 * Issue 16.2 and issue 14's bug 2: `status` must not stay green while things are broken. A step that
 * cannot do its job is a failed run, an unexpected error is exit 70 and an `error` run, a step that has
 * not completed for longer than its threshold is stale, and runs skipped on a held lock are not "the
 * last run". Against a real OpenSSH sshd: the steps' runs, their exit codes and stderr and status's text
 * through the built binary; status's result, and the runs that only set the scene, in-process.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { setAccountStaleAfter } from '../../src/commands/accounts.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { status as accountsStatus } from '../../src/commands/status.js';
import type { Context } from '../../src/core/context.js';
import { inProcess } from '../helpers/in-process.js';
import { sshdSkip } from '../helpers/sshd.js';
import { orderFileName } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, INCOMING } from '../fixtures/orders/edge-world.js';

const EXAMPLE = readFileSync(new URL('../fixtures/edge-examples/order-20260301101500123456.txt', import.meta.url));
const T0 = '2026-03-01T10:00:00.000Z';
const at = (minutesAfterT0: number) => ({
  JL_EDGE_NOW: new Date(Date.parse(T0) + minutesAfterT0 * 60_000).toISOString(),
});

interface StepState {
  step: string;
  outcome: string;
  exit_code: number | null;
  error: string | null;
  skipped_locked: number;
  last_completed_at: string | null;
  stale_after_minutes: number | null;
  stale: boolean;
}
interface Status {
  needs_attention: boolean;
  accounts: { account: string; steps: StepState[]; attention: string[] }[];
}

describe('status does not stay green while things are broken', { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest();
  const lastRun = () =>
    world.rows<{ step: string; outcome: string; exit_code: number; error: string }>(
      'select step, outcome, exit_code, error from runs order by id desc limit 1',
    )[0]!;
  const call = <T>(command: (ctx: Context) => Promise<T>, minutes = 0): Promise<T> =>
    inProcess({ db: world.db, dir: world.dir, env: at(minutes) }).run(command);
  /** What `status --json` says `minutes` after T0 (the binary exits 1 when it needs attention). */
  const status = async (minutes: number) => {
    const result = JSON.parse(JSON.stringify(await call(accountsStatus, minutes))) as Status;
    return { needsAttention: result.needs_attention, account: result.accounts[0]! };
  };
  const downloaded = async (minutes: number) =>
    assert.equal((await call((ctx) => downloadOrders(ctx, {}), minutes)).exitCode, 0);
  const step = (steps: StepState[], name: string) => steps.find((s) => s.step === name)!;

  it('a missing order folder is a failed run that status flags, not a partial one', async () => {
    rmSync(world.local(INCOMING), { recursive: true });

    const run = await world.cli(['download-orders', '--quiet'], { env: at(0) });

    assert.equal(run.code, 1);
    const message =
      'cannot list the order folder (OrderDownload), so no order can be read: list /live/incoming: no such file or folder (check it with: jl-edge accounts test acme)';
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `2026-03-01T10:00:00Z ${ACCOUNT} download-orders: ${message}\n`);
    assert.deepEqual(lastRun(), { step: 'download-orders', outcome: 'failed', exit_code: 1, error: message });
    const { needsAttention, account } = await status(1);
    assert.equal(needsAttention, true);
    assert.deepEqual(account.attention, [`the last download-orders run failed (exit 1): ${message}`]);
  });

  it('a missing stock error folder still pushes the stock, and the run is failed', async () => {
    world.addProducts([{ sku: 'LAMP', channelItemId: '10000001' }]);
    rmSync(world.local('/live/inventory/errors'), { recursive: true });

    const run = await world.cli(['push-stock', '--quiet'], { env: at(0) });

    assert.equal(run.code, 1);
    assert.equal(world.files('/live/inventory').size, 1, 'the inventory file went out');
    assert.equal(lastRun().outcome, 'failed');
    const { needsAttention, account } = await status(1);
    assert.equal(needsAttention, true);
    assert.match(
      account.attention[0]!,
      /^the last push-stock run failed \(exit 1\): \/live\/inventory\/errors: cannot list the stock error folder/,
    );
  });

  it('an unexpected database failure exits 70 with one line, logs an error run, and status flags it', async () => {
    world.putOrder(orderFileName(1), EXAMPLE);
    await downloaded(0);
    world.exec(
      "create trigger broken before insert on outbox begin select raise(abort, 'disk I/O error (simulated)'); end",
    );

    const run = await world.cli(['ack-orders', '--quiet'], { env: at(1) });

    assert.equal(run.code, 70);
    assert.equal(run.stdout, '');
    const lines = run.stderr.split('\n');
    assert.equal(lines.length, 2, run.stderr);
    assert.match(
      lines[0]!,
      /^2026-03-01T10:01:00Z acme ack-orders: internal error \(a bug or a database failure; --verbose shows where\): .*disk I\/O error \(simulated\)$/,
    );
    assert.deepEqual(lastRun().outcome, 'error');
    assert.equal(lastRun().exit_code, 70);

    const verbose = await world.cli(['ack-orders', '--quiet', '--verbose'], { env: at(2) });
    assert.equal(verbose.code, 70);
    assert.match(verbose.stderr, /\n\s+at /, 'the stack comes with --verbose');

    const { needsAttention, account } = await status(3);
    assert.equal(needsAttention, true);
    assert.match(
      account.attention[0]!,
      /^the last ack-orders run stopped on an internal error \(exit 70\): internal error .*disk I\/O error \(simulated\) — run it again with --verbose and report the stack$/,
    );
  });

  it('a step that has not completed for longer than its threshold makes status exit 1', async () => {
    const sync = await world.cli(['sync', '--quiet'], { env: at(0) });
    assert.equal(sync.code, 0, sync.stderr);

    const fresh = await status(29);
    assert.deepEqual([fresh.needsAttention, fresh.account.attention], [false, []]);

    const later = await status(31);
    assert.equal(later.needsAttention, true);
    const stale = later.account.steps.filter((s) => s.stale).map((s) => s.step);
    assert.deepEqual(stale, ['download-orders', 'ack-orders', 'send-shipments', 'send-cancels', 'send-refunds']);
    assert.deepEqual(step(later.account.steps, 'push-stock'), {
      ...step(later.account.steps, 'push-stock'),
      stale: false,
      stale_after_minutes: 90,
    });
    assert.equal(
      later.account.attention[0],
      'download-orders has not completed a run since 2026-03-01T10:00:00.000Z, longer than its 30 minutes: is cron running it on a live host? (crontab -l, jl-edge.log; jl-edge accounts set-stale-after acme download-orders <minutes> changes the limit)',
    );

    const human = await world.cli(['status'], { env: at(31) });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /^  download-orders .* ok  STALE/m);

    // Per account: a longer limit for one step, and "never" for another.
    const never = await world.cli(['accounts', 'set-stale-after', ACCOUNT, 'send-refunds', 'never', '--quiet']);
    assert.equal(never.code, 0, never.stderr);
    for (const name of ['download-orders', 'ack-orders', 'send-shipments', 'send-cancels'])
      await call((ctx) => setAccountStaleAfter(ctx, ACCOUNT, name, 60));
    const relaxed = await status(31);
    assert.deepEqual([relaxed.needsAttention, relaxed.account.attention], [false, []]);
    assert.equal(step(relaxed.account.steps, 'send-refunds').stale_after_minutes, null);
    const muchLater = await status(61);
    assert.deepEqual(
      muchLater.account.steps.filter((s) => s.stale).map((s) => s.step),
      ['download-orders', 'ack-orders', 'send-shipments', 'send-cancels'],
    );

    const bad = await world.cli(['accounts', 'set-stale-after', ACCOUNT, 'prune', '60']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"prune" is not a sync step/);
  });

  it('a step that never completed is stale once other sync steps have run longer than its threshold', async () => {
    await downloaded(0);
    const later = await status(45);
    assert.equal(later.needsAttention, true);
    assert.equal(step(later.account.steps, 'download-orders').stale, true);
    assert.equal(step(later.account.steps, 'ack-orders').stale, true);
    assert.match(later.account.attention[1]!, /^ack-orders has not completed a run since sync steps started running/);
  });

  it('runs that found the lock held are not "the last run": status shows the one that did the work and counts the skips', async () => {
    world.putOrder(orderFileName(1), EXAMPLE);
    await downloaded(0);
    world.exec(
      'insert into locks (step, account, owner, pid, host, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)',
      'download-orders',
      ACCOUNT,
      'someone-else',
      process.pid,
      hostname(),
      at(5).JL_EDGE_NOW,
      at(5).JL_EDGE_NOW,
    );
    for (const minutes of [5, 6]) {
      const skipped = await world.cli(['download-orders', '--quiet'], { env: at(minutes) });
      assert.equal(skipped.code, 75);
    }

    const { account } = await status(7);
    const download = step(account.steps, 'download-orders');
    assert.deepEqual(
      [download.outcome, download.exit_code, download.skipped_locked, download.last_completed_at],
      ['ok', 0, 2, T0],
    );
    const human = await world.cli(['status'], { env: at(7) });
    assert.match(
      human.stdout,
      /^  download-orders +2026-03-01 10:00:00Z .* ok .*\(2 later runs skipped: lock held\)$/m,
    );
  });
});
