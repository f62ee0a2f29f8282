/**
 * `sync` logs in once per account and every step of that account works over the one connection, each
 * under its own deadline (SPEC §6.5); a connection that dropped or timed out in one step is replaced for
 * the next. Counted from the real sshd's log of accepted logins.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { CliRun } from '../helpers/cli.js';
import { keyLoginOptions, sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { edgeExample } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, OUTGOING, waitFor } from '../fixtures/orders/edge-world.js';

const EXAMPLE_FILE = 'order-20260301101500123456.txt';
const EXAMPLE = edgeExample(EXAMPLE_FILE);
/** What jl-edge sends for the example order, account lead time 3, handling 0, on 2026-03-01 (London). */
const EXAMPLE_ACK = edgeExample('order-20260301101502000001.ack');
const NOW = { JL_EDGE_NOW: '2026-03-01T10:15:02Z' };
const INVENTORY = '/live/inventory';
/** The one product of each account: channel item 11111111, 7 in stock, the account's lead time (3). */
const INVENTORY_FILE = Buffer.from(
  'part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock\n11111111,,3,7\n',
);
const STEPS = ['download-orders', 'ack-orders', 'push-stock', 'send-shipments', 'send-cancels', 'send-refunds'];

interface SyncSummary {
  exit_code: number;
  steps: { command: string; accounts: { account: string; exit_code: number; errors: { message: string }[] }[] }[];
}

describe(`sync: one connection per account${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest((w) => addProduct(w, ACCOUNT));

  function addProduct(w: EdgeWorld, account: string): void {
    w.exec(
      `insert into products (account_id, sku, channel_item_id, stock, created_at, updated_at)
       select id, 'SKU-1', '11111111', 7, '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'
       from accounts where name = ?`,
      account,
    );
  }

  /** Each step's exit code per account, in the order the steps ran. */
  const exitCodes = (run: CliRun): [string, string, number][] =>
    run
      .json<SyncSummary>()
      .steps.flatMap((step) =>
        step.accounts.map((a): [string, string, number] => [step.command, a.account, a.exit_code]),
      );

  /**
   * The logins sshd accepted since `before`. sshd logs each before the session starts, so every login of a
   * finished run is in its log; reading that pipe may lag a moment behind, so a later line is waited for.
   */
  async function loginsSince(before: number, atLeast: number): Promise<number> {
    await waitFor(() => world.server.logins() - before >= atLeast);
    await sleep(200);
    return world.server.logins() - before;
  }

  it('logs in once per account for the whole sync, and every step does its work over that connection', async () => {
    await world.server.makeTree('/bravo');
    const added = await world.cli([
      'accounts',
      'add',
      'bravo',
      ...keyLoginOptions(world.server, world.server.hostKeyFingerprint),
      '--lead-time',
      '3',
      '--root',
      '/bravo',
    ]);
    assert.equal(added.code, 0, added.stderr);
    addProduct(world, 'bravo');
    world.putOrder(EXAMPLE_FILE, EXAMPLE);
    writeFileSync(world.local(`/bravo/incoming/${EXAMPLE_FILE}`), EXAMPLE);
    writeFileSync(world.local(`/bravo/incoming/${EXAMPLE_FILE}.DONE`), '');
    const before = world.server.logins();

    const run = await world.cli(['sync', '--json', '--concurrency', '1'], { env: NOW });

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      exitCodes(run),
      ['acme', 'bravo'].flatMap((account) => STEPS.map((step) => [step, account, 0])),
    );
    assert.equal(await loginsSince(before, 2), 2);
    // bravo's copy of the order is the second order stored: our reference JLE-2.
    const bravoAck = Buffer.from(EXAMPLE_ACK.toString().replace(',JLE-1\n', ',JLE-2\n'));
    for (const [root, ack] of [
      ['/live', EXAMPLE_ACK],
      ['/bravo', bravoAck],
    ] as const) {
      const acks = [...world.files(`${root}/outgoing`)].filter(([name]) => name.endsWith('.ack'));
      assert.deepEqual(
        acks.map(([, content]) => content),
        [ack],
        root,
      );
      assert.deepEqual([...world.files(`${root}/inventory`).values()], [INVENTORY_FILE], root);
    }
  });

  /**
   * A `sync --json` whose first upload writes half of `content` into `folder` and waits: every session is
   * killed right there, and the run's result is returned.
   */
  async function syncCutMidwayThrough(folder: string, content: Buffer): Promise<CliRun> {
    const running = world.cli(['sync', '--json'], { env: { ...NOW, JL_EDGE_FAULT: 'upload-midway:3000' } });
    let ended: CliRun | null = null;
    void running.then((run) => (ended = run));
    const half = Math.floor(content.length / 2);
    await waitFor(() => ended !== null || [...world.files(folder).values()].some((c) => c.length === half));
    assert.equal(ended, null, 'the run must still be waiting midway');
    world.server.killSessions();
    return running;
  }

  it('a step after one whose connection dropped logs in afresh and does its work', async () => {
    world.putOrder(EXAMPLE_FILE, EXAMPLE);
    const before = world.server.logins();
    // ack-orders writes half its file under the final name, then waits: the connection is cut there.
    const run = await syncCutMidwayThrough(OUTGOING, EXAMPLE_ACK);

    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(
      exitCodes(run),
      STEPS.map((step) => [step, ACCOUNT, step === 'ack-orders' ? 1 : 0]),
    );
    assert.match(
      run.json<SyncSummary>().steps[1]!.accounts[0]!.errors[0]!.message,
      /^upload failed \(attempt 1 of 5\), retried on the next run: /,
    );
    assert.deepEqual([...world.files(INVENTORY).values()], [INVENTORY_FILE]);
    assert.equal(await loginsSince(before, 2), 2);
  });

  it('push-stock clears up an upload cut off midway over a fresh connection, which the later steps then share', async () => {
    const before = world.server.logins();
    // No order to acknowledge: push-stock's is the first upload, and it stops halfway.
    const run = await syncCutMidwayThrough(INVENTORY, INVENTORY_FILE);

    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(
      exitCodes(run),
      STEPS.map((step) => [step, ACCOUNT, step === 'push-stock' ? 1 : 0]),
    );
    assert.match(
      run.json<SyncSummary>().steps[2]!.accounts[0]!.errors[0]!.message,
      /^upload failed, nothing left on the server; its products go out with the next run: /,
    );
    assert.deepEqual([...world.files(INVENTORY).keys()], []);
    assert.equal(await loginsSince(before, 2), 2);
  });

  it('a frozen server stops the step it froze at that step’s deadline; the next steps log in afresh, each with its own deadline', async () => {
    world.putOrder(EXAMPLE_FILE, EXAMPLE);
    const before = world.server.logins();
    // download-orders holds its connection for a second after taking its lock: the server freezes then.
    const running = world.cli(['sync', '--json', '--timeout', '3'], {
      env: { ...NOW, JL_EDGE_FAULT: 'pause-after-lock:1000' },
    });
    try {
      await waitFor(() => world.server.logins() - before === 1);
      world.server.freeze();
      const run = await running;

      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(
        exitCodes(run),
        STEPS.map((step) => [step, ACCOUNT, step === 'download-orders' ? 3 : 0]),
      );
      assert.match(run.json<SyncSummary>().steps[0]!.accounts[0]!.errors[0]!.message, /deadline/);
      // Sent after the first step's deadline had passed: push-stock ran under its own.
      assert.deepEqual([...world.files(INVENTORY).values()], [INVENTORY_FILE]);
      assert.equal(await loginsSince(before, 2), 2);
    } finally {
      world.server.thaw();
    }
  });
});
