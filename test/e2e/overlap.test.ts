/**
 * Overlapping runs (SPEC §6.4; issue 9): for each of the seven steps, ten invocations for one account at
 * once — one holds the lock and does the work, the other nine exit 75 and change nothing, and the work's
 * effect is there exactly once. Then a lock whose holder was SIGKILLed: taken over at once on the same
 * host (the pid is gone), and from another host only once its heartbeat is stale. The runs that only
 * set the scene run in-process; every contending run is the binary.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { cancelOrder } from '../../src/commands/orders-cancel.js';
import { refundOrder } from '../../src/commands/orders-refund.js';
import { shipOrder } from '../../src/commands/orders-ship.js';
import { sendShipments } from '../../src/commands/send-shipments.js';
import type { Context } from '../../src/core/context.js';
import type { StepResult } from '../../src/core/step.js';
import type { CliRun } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { sshdSkip } from '../helpers/sshd.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { EdgeWorld, OUTGOING, waitFor } from '../fixtures/orders/edge-world.js';

const NOW = { JL_EDGE_NOW: '2026-03-02T10:00:00Z' };
const CONTENDERS = 9;

describe('ten runs of one step for one account at once', { skip: sshdSkip }, () => {
  let world: EdgeWorld;
  let products: string;

  const call = <T>(command: (ctx: Context) => Promise<T>): Promise<T> =>
    inProcess({ db: world.db, dir: world.dir, env: NOW }).run(command);
  const ok = async (command: (ctx: Context) => Promise<StepResult>) => {
    const result = await call(command);
    assert.equal(result.exitCode, 0, `${result.command}: ${JSON.stringify(result.accounts)}`);
  };
  const order = (n: number) =>
    orderFile({ order: orderSection(`Y10000000${n}`), items: [item('1', '11111111', '2', { unit_price: '5.00' })] });

  before(async () => {
    world = await EdgeWorld.start();
    await world.reset();
    world.addProducts([{ sku: 'SKU-1', channelItemId: '11111111' }]);
    // Work waiting for each step once the one before it has run: order 1 is the one downloaded and
    // acknowledged under contention; 2 has a shipment, 3 a cancellation and 4 a refund waiting.
    for (const n of [2, 3, 4]) world.putOrder(orderFileName(n), order(n));
    await ok((ctx) => downloadOrders(ctx, {}));
    await ok(ackOrders);
    await call((ctx) => shipOrder(ctx, 'Y100000004', { carrier: 'dpd', tracking: 'T4', lines: [] }));
    await ok(sendShipments);
    await call((ctx) => refundOrder(ctx, 'Y100000004', { reason: 'damaged', lines: ['1:1'] }));
    await call((ctx) => cancelOrder(ctx, 'Y100000003', { reason: 'out of stock', lines: [] }));
    await call((ctx) => shipOrder(ctx, 'Y100000002', { carrier: 'dpd', tracking: 'T2', lines: [] }));
    world.putOrder(orderFileName(1), order(1));
    products = world.local('/products.csv');
    writeFileSync(products, 'sku,channel_item_id,stock\nSKU-9,99999999,4\n');
  });
  after(() => world?.stop());

  /** The outbox rows of a flow and the data files + markers in the outgoing folder. */
  const sentOf = (flow: string) =>
    world.rows<{ remote_name: string; status: string }>(
      'select remote_name, status from outbox where flow = ? order by id',
      flow,
    );

  const STEPS: { step: string[]; effect: () => unknown; expected: unknown }[] = [
    {
      step: ['download-orders'],
      effect: () => world.rows("select count(*) as n from orders where order_number = 'Y100000001'"),
      expected: [{ n: 1 }],
    },
    { step: ['ack-orders'], effect: () => sentOf('OrderAcknowledge').length, expected: 4 },
    { step: ['push-stock'], effect: () => sentOf('StockUpdate').map((row) => row.status), expected: ['sent'] },
    { step: ['send-shipments'], effect: () => sentOf('OrderShipment').length, expected: 2 },
    {
      step: ['send-cancels'],
      effect: () => sentOf('CancellationAcknowledgement').map((row) => row.status),
      expected: ['sent'],
    },
    { step: ['send-refunds'], effect: () => sentOf('OrderRefund').map((row) => row.status), expected: ['sent'] },
    {
      step: ['import-products', '<products>'],
      effect: () => world.rows("select stock from products where sku = 'SKU-9'"),
      expected: [{ stock: 4 }],
    },
  ];

  for (const { step, effect, expected } of STEPS) {
    it(`${step[0]}: one run works, nine exit 75, the effect is there once`, async () => {
      const args = step.map((arg) => (arg === '<products>' ? products : arg));
      const outgoingBefore = world.files(OUTGOING).size;
      let holder: ChildProcess | undefined;
      const held = world.cli(args, {
        env: { ...NOW, JL_EDGE_FAULT: 'pause-after-lock:60000' },
        onSpawn: (child) => (holder = child),
      });
      let heldEnded: CliRun | null = null;
      void held.then((run) => (heldEnded = run));
      await waitFor(() => heldEnded !== null || world.rows('select 1 from locks where step = ?', step[0]).length === 1);
      assert.equal(heldEnded, null, 'the first run holds the lock');

      const others = await Promise.all(Array.from({ length: CONTENDERS }, () => world.cli(args, { env: NOW })));
      holder!.kill('SIGUSR2');
      const first = await held;

      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(
        others.map((run) => run.code),
        Array(CONTENDERS).fill(75),
      );
      for (const run of others)
        assert.match(run.stderr, new RegExp(`${step[0]} for account "acme" is already running`));
      assert.deepEqual(effect(), expected);
      const runs = world.rows<{ outcome: string; n: number }>(
        'select outcome, count(*) as n from runs where step = ? group by outcome order by outcome',
        step[0],
      );
      assert.deepEqual(
        runs.filter((row) => row.outcome === 'locked'),
        [{ outcome: 'locked', n: CONTENDERS }],
      );
      const delivered = world.files(OUTGOING).size - outgoingBefore;
      assert.ok(delivered === 0 || delivered === 2, `one data file and one marker at most, got ${delivered} files`);
    });
  }

  /** Runs `step` until it holds its lock, then SIGKILLs it, as a crash would: its lock stays. The run's exit code. */
  const killedHoldingItsLock = async (step: string): Promise<number> => {
    let holder: ChildProcess | undefined;
    const run = world.cli([step], {
      env: { ...NOW, JL_EDGE_FAULT: 'pause-after-lock:60000' },
      onSpawn: (child) => (holder = child),
    });
    await waitFor(() => world.rows('select 1 from locks where step = ?', step).length === 1);
    holder!.kill('SIGKILL');
    return (await run).code;
  };

  it('a lock whose holder was SIGKILLed: taken over at once on this host; from another host only once stale', async () => {
    world.putOrder(orderFileName(5), order(5));
    assert.equal(await killedHoldingItsLock('download-orders'), -1);

    // The same lock as if its holder ran on another host: its pid proves nothing here.
    const [lock] = world.rows<{ heartbeat_at: string }>(
      "select heartbeat_at from locks where step = 'download-orders'",
    );
    world.exec("update locks set host = 'another-host' where step = 'download-orders'");
    const heartbeat = Date.parse(lock!.heartbeat_at);
    const fresh = await world.cli(['download-orders'], {
      env: { JL_EDGE_NOW: new Date(heartbeat + 60_000).toISOString() },
    });
    assert.equal(fresh.code, 75, 'a heartbeat a minute old is not stale');

    const stale = await world.cli(['download-orders'], {
      env: { JL_EDGE_NOW: new Date(heartbeat + 180_000).toISOString() },
    });
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stderr, /took over a stale lock \(held by pid \d+ on another-host since /);
    assert.deepEqual(world.rows("select count(*) as n from orders where order_number = 'Y100000005'"), [{ n: 1 }]);
    assert.deepEqual(world.rows('select * from locks'), [], 'released after the run');

    // On this host, a dead holder's lock is taken over at once.
    assert.equal(await killedHoldingItsLock('push-stock'), -1);
    const takeover = await world.cli(['push-stock'], { env: NOW });
    assert.equal(takeover.code, 0, takeover.stderr);
    assert.match(takeover.stderr, /took over a stale lock/);
  });
});
