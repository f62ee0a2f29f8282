/**
 * Issue 16.3, 16.4 and the order-number part of 16.6: an incomplete order is fixable (a corrected file
 * replaces it, `orders dismiss` closes it), and `orders show` gives a packer what they need. Against a
 * real OpenSSH sshd: the steps that only set the scene and the views (`orders show`'s result, status's)
 * run in-process, what the binary prints and its exit codes end to end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { shipOrder } from '../../src/commands/orders-ship.js';
import { listOrders, showOrder } from '../../src/commands/orders.js';
import { sendShipments } from '../../src/commands/send-shipments.js';
import { status } from '../../src/commands/status.js';
import type { Context } from '../../src/core/context.js';
import type { StepResult } from '../../src/core/step.js';
import { assertUsageError } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { sshdSkip } from '../helpers/sshd.js';
import { EXAMPLE_ORDER_NUMBER, item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, OUTGOING } from '../fixtures/orders/edge-world.js';
import { untouchedLine } from '../fixtures/orders/views.js';

const EXAMPLE = readFileSync(new URL('../fixtures/edge-examples/order-20260301101500123456.txt', import.meta.url));
const NOW = { JL_EDGE_NOW: '2026-03-01T10:15:02Z' };
const LATER = { JL_EDGE_NOW: '2026-03-01T10:30:00Z' };
const BROKEN_ORDER = 'Y100000009';
const COUNT_ERROR = 'There is a mismatch between expected lines and actual read lines within the order file';

/** Runs a command in-process on the world's database and server, at `at`. */
const call = <T>(world: EdgeWorld, command: (ctx: Context) => Promise<T>, at = NOW): Promise<T> =>
  inProcess({ db: world.db, dir: world.dir, env: at }).run(command);
const download = (ctx: Context): Promise<StepResult> => downloadOrders(ctx, {});
const needsAttention = async (world: EdgeWorld): Promise<boolean> => (await call(world, status, LATER)).needs_attention;

interface Shown {
  order_number: string;
  status: string;
  supplier_ref: string;
  file: string;
  errors: { severity: string; message: string }[];
  lines: { line_ref: string; part_number: string; quantity: number }[];
  history: { event: string; file: string | null; detail: string; created_at: string }[];
}

describe('an incomplete order is fixable', { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest(async (w) => {
    w.addProducts([
      { sku: 'LAMP', channelItemId: '12345678' },
      { sku: 'TABLE', channelItemId: '87654321' },
    ]);
    w.putOrder(
      orderFileName(1),
      orderFile({ order: orderSection(BROKEN_ORDER), items: [item('1', '12345678', '1')], count: 7 }),
    );
    assert.equal((await call(w, download)).exitCode, 1, 'the broken file makes the order incomplete');
  });
  /** What `orders show <number> --json` prints. */
  const show = async (orderNumber: string) =>
    JSON.parse(JSON.stringify(await call(world, (ctx) => showOrder(ctx, orderNumber), LATER))) as Shown;

  it('a corrected file replaces the incomplete order: same order, new lines, old file and error in the history; it is then acknowledged', async () => {
    const before = await show(BROKEN_ORDER);
    world.putOrder(
      orderFileName(2),
      orderFile({ order: orderSection(BROKEN_ORDER), items: [item('1', '12345678', '2'), item('2', '87654321', '1')] }),
    );

    const corrected = await call(world, download, LATER);

    assert.equal(corrected.exitCode, 0, JSON.stringify(corrected.accounts));
    const after = await show(BROKEN_ORDER);
    assert.deepEqual(
      {
        status: after.status,
        supplier_ref: after.supplier_ref,
        file: after.file,
        errors: after.errors,
        lines: after.lines.map((l) => [l.line_ref, l.part_number, l.quantity]),
      },
      {
        status: 'awaiting_ack',
        supplier_ref: before.supplier_ref,
        file: orderFileName(2),
        errors: [],
        lines: [
          ['1', '12345678', 2],
          ['2', '87654321', 1],
        ],
      },
    );
    assert.deepEqual(after.history, [
      {
        event: 'replaced',
        file: orderFileName(1),
        detail: `high: ${COUNT_ERROR}`,
        created_at: '2026-03-01T10:30:00.000Z',
      },
    ]);
    const human = await world.cli(['orders', 'show', BROKEN_ORDER], { env: LATER });
    assert.match(
      human.stdout,
      new RegExp(
        `\\n  history:\\n    2026-03-01T10:30:00.000Z replaced ${orderFileName(1).replace('.', '\\.')} by a corrected file; its errors were: high: ${COUNT_ERROR}\\n`,
      ),
    );

    assert.equal(await needsAttention(world), false);

    assert.equal((await call(world, ackOrders, LATER)).exitCode, 0);
    assert.equal(world.files(OUTGOING).size, 2, 'the acknowledgement and its marker');
    assert.equal((await show(BROKEN_ORDER)).status, 'ready_to_ship');
  });

  it('a file for an order that was acknowledged is still a duplicate', async () => {
    world.putOrder(orderFileName(2), EXAMPLE);
    assert.equal((await call(world, download)).exitCode, 0);
    world.putOrder(orderFileName(3), EXAMPLE);
    const again = await world.cli(['download-orders', '--quiet'], { env: LATER });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /duplicate: order Y100012345 is already stored/);
  });

  it('orders dismiss closes an incomplete order (whatever the case typed) so status stops flagging it', async () => {
    const flagged = await world.cli(['status'], { env: LATER });
    assert.equal(flagged.code, 1);

    const run = await world.cli(['orders', 'dismiss', BROKEN_ORDER.toLowerCase(), '--reason', 'handled by phone'], {
      env: LATER,
    });

    assert.deepEqual(
      [run.code, run.stdout, run.stderr],
      [0, `dismissed order ${BROKEN_ORDER} (${ACCOUNT}): handled by phone\n`, ''],
    );
    const shown = await show(BROKEN_ORDER);
    assert.equal(shown.status, 'dismissed');
    assert.deepEqual(shown.history, [
      { event: 'dismissed', file: null, detail: 'handled by phone', created_at: '2026-03-01T10:30:00.000Z' },
    ]);
    assert.equal(await needsAttention(world), false);
    const listed = await call(world, (ctx) => listOrders(ctx, { status: 'dismissed' }), LATER);
    assert.deepEqual(
      listed.orders.map((o) => o.order_number),
      [BROKEN_ORDER],
    );

    const again = await world.cli(['orders', 'dismiss', BROKEN_ORDER, '--reason', 'twice'], { env: LATER });
    assertUsageError(
      again,
      `jl-edge orders dismiss: order ${BROKEN_ORDER} is dismissed: only an incomplete order can be dismissed (a stored order is cancelled with jl-edge orders cancel)\n`,
    );
  });
});

describe('orders show gives a packer what they need', { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest(async (w) => {
    w.addProducts([{ sku: 'CUSH-RED', channelItemId: '12345678' }]);
    w.putOrder(orderFileName(1), EXAMPLE);
    assert.equal((await call(w, download)).exitCode, 0);
  });

  it('shows the delivery name, address, phone and e-mail, the dates, and per line SKU, description, prices and quantities', async () => {
    const ship = await world.cli(
      ['orders', 'ship', EXAMPLE_ORDER_NUMBER, '--carrier', 'dpd', '--tracking', 'T1', '--line', '1:1'],
      {
        env: NOW,
      },
    );
    assert.equal(ship.code, 1, 'not acknowledged yet');
    assert.equal((await call(world, ackOrders)).exitCode, 0);
    const lowerCase = EXAMPLE_ORDER_NUMBER.toLowerCase();
    await call(world, (ctx) => shipOrder(ctx, lowerCase, { carrier: 'dpd', tracking: 'T1', lines: ['1:1'] }));
    assert.equal((await call(world, sendShipments)).exitCode, 0);

    const shown = await call(world, (ctx) => showOrder(ctx, EXAMPLE_ORDER_NUMBER));
    const order = JSON.parse(JSON.stringify(shown)) as Record<string, unknown>;
    assert.deepEqual(
      {
        order_date: order.order_date,
        expected_delivery_date: order.expected_delivery_date,
        currency: order.currency,
        delivery: order.delivery,
        lines: order.lines,
      },
      {
        order_date: '2026-03-01T10:14:52',
        expected_delivery_date: '2026-03-05',
        currency: 'GBP',
        delivery: {
          title: 'Mr',
          name: 'Tom Brown',
          address: ['12 Orchard Road'],
          city: 'Leeds',
          postcode: 'LS1 4AB',
          country: 'GB',
          phone: '07700900123',
          email: 'tom.brown@example.com',
        },
        lines: [
          {
            line_ref: '1',
            part_number: '12345678',
            sku: 'CUSH-RED',
            quantity: 2,
            shipped_quantity: 1,
            cancelled_quantity: 0,
            refunded_quantity: 0,
            description: 'Linen cushion cover red',
            promised_date: '2026-03-04T00:00:00',
            unit_price: null,
            unit_cost_price: '14.00',
            open_quantity: 1,
          },
          {
            ...untouchedLine('2', '87654321', null, 1),
            description: 'Oak side table',
            promised_date: '2026-03-04T00:00:00',
            unit_price: null,
            unit_cost_price: '89.00',
            open_quantity: 1,
          },
        ],
      },
    );

    const human = await world.cli(['orders', 'show', EXAMPLE_ORDER_NUMBER], { env: NOW });
    assert.equal(human.code, 0);
    const lines = human.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 11), [
      `${EXAMPLE_ORDER_NUMBER} (acme): partially_shipped`,
      `  supplier ref ${(order as { supplier_ref: string }).supplier_ref}, ordered 2026-03-01T10:14:52, expected delivery 2026-03-05`,
      lines[2],
      '  deliver to: Mr Tom Brown',
      '    12 Orchard Road, Leeds, LS1 4AB, GB',
      '    phone 07700900123, e-mail tom.brown@example.com',
      '  lines:',
      '    1  12345678  CUSH-RED  x2  (1 shipped, 1 open)',
      '       Linen cushion cover red; price -, cost 14.00 GBP; promised 2026-03-04T00:00:00',
      '    2  87654321  (unknown product)  x1  (1 open)',
      '       Oak side table; price -, cost 89.00 GBP; promised 2026-03-04T00:00:00',
    ]);
  });
});
