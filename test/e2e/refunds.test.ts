/**
 * Refunds (post-dispatch cancellations) through the built binary against a real OpenSSH sshd (SPEC §3,
 * §4.4, §5.4): recorded with `orders refund`, sent by `send-refunds` as a tracking file of the refunded
 * lines only; files byte for byte against the examples, quantities and status from the SQLite file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sshdSkip } from '../helpers/sshd.js';
import { edgeExample } from '../fixtures/orders/edge-order.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { LATER, byDpd, acknowledged, ok, threeLineOrder, useEdgeWorld } from '../fixtures/shipments/orders-out.js';
import { lineFigures, orderStatus, sentFiles, updates } from '../fixtures/shipments/results.js';

const EXAMPLE_ORDER = edgeExample('order-20260301101500123456.txt');
/** Line 1 (2 × 12345678) of the example order shipped by DPD on 2026-03-02; account lead time 3. */
const EXAMPLE_SHIPMENT = edgeExample('tracking-20260302143000000001.txt').toString('utf8');
/** One unit of that line refunded on 2026-03-06. */
const EXAMPLE_REFUND = edgeExample('tracking-20260306091500000001.txt').toString('utf8');
const ORDER = 'Y100000001';

describe(`refunds against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = useEdgeWorld();

  const refund = (...args: string[]) => world().cli(['orders', 'refund', ...args], { env: LATER });

  it('refunds one shipped unit: a tracking file with only that line and CANCELLED POST-DISPATCH, as the example files; the status stays', async () => {
    await acknowledged(world(), EXAMPLE_ORDER);
    await ok(world(), [
      'orders',
      'ship',
      'Y100012345',
      '--carrier',
      'dpd',
      '--tracking',
      '15501234567890',
      '--tracking-url',
      'https://track.dpd.co.uk/parcels/15501234567890',
      '--line',
      '1',
      '--date',
      '2026-03-02',
    ]);
    await ok(world(), ['send-shipments'], { JL_EDGE_NOW: '2026-03-02T14:30:00Z' });
    const [shipment] = sentFiles(world(), 'tracking-');
    assert.match(shipment.name, /^tracking-20260302143000\d{6}\.txt$/);
    assert.equal(shipment.text, EXAMPLE_SHIPMENT);
    assert.equal(orderStatus(world(), 'Y100012345'), 'partially_shipped');

    // The example order file gives no unit_price, only the seller's unit_cost_price: ◇ the amount is checked against it.
    const byAmount = await refund(
      'Y100012345',
      '--reason',
      'Customer return',
      '--line',
      '1',
      '--amount',
      '14.00',
      '--dry-run',
    );
    assert.equal(byAmount.code, 0, byAmount.stderr);
    assert.match(byAmount.stdout, /^would record the refund of order Y100012345 \(acme\): line 1 x1 /);
    const notWhole = await refund('Y100012345', '--reason', 'Customer return', '--line', '1', '--amount', '20.00');
    assert.equal(notWhole.code, 1);
    assert.equal(
      notWhole.stderr,
      'jl-edge orders refund: order Y100012345 line 1: --amount 20.00 is not a whole number of units at the unit_cost_price 14.00: a refund is for whole units\n',
    );

    const recorded = await ok(world(), [
      'orders',
      'refund',
      'Y100012345',
      '--reason',
      'Customer return',
      '--line',
      '1:1',
    ]);
    assert.equal(
      recorded.stdout,
      'recorded refund of order Y100012345 (acme) as update 2: line 1 x1 (reason: Customer return)\nsend-refunds sends it\n',
    );
    const sent = await ok(world(), ['send-refunds'], { JL_EDGE_NOW: '2026-03-06T09:15:00Z' });
    assert.equal(sent.stdout, 'send-refunds acme: 1 sent, 0 failed, 0 pending, 0 waiting\n');

    const files = sentFiles(world(), 'tracking-');
    assert.equal(files.length, 2);
    assert.match(files[1].name, /^tracking-20260306091500\d{6}\.txt$/);
    assert.equal(files[1].text, EXAMPLE_REFUND);
    assert.equal(orderStatus(world(), 'Y100012345'), 'partially_shipped', 'refunds never change the status');
    assert.deepEqual(lineFigures(world(), 'Y100012345'), [
      ['1', 2, 0, 1],
      ['2', 0, 0, 0],
    ]);
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.reason, u.lines, u.outbox_status]),
      [
        ['shipment', null, '1 x2', 'sent'],
        ['refund', 'Customer return', '1 x1', 'sent'],
      ],
    );
    const shown = await ok(world(), ['orders', 'show', 'Y100012345', '--json']);
    assert.equal(shown.json<{ lines: { refunded_quantity: number }[] }>().lines[0].refunded_quantity, 1);
  });

  it('refuses a refund of more units than shipped, of a fraction of a unit, or of an amount that is not whole units; an exact amount says how many', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, ...byDpd('DPD-1'), '--line', '1', '--date', '2026-03-02']);
    const unsentShipment = await refund(ORDER, '--reason', 'Return', '--line', '1:1');
    assert.equal(unsentShipment.code, 1);
    assert.match(unsentShipment.stderr, /units are refundable once their shipment has been sent \(send-shipments\)\n$/);
    await ok(world(), ['send-shipments']);

    const cases: [string[], number, string][] = [
      [['--line', '1:3'], 1, `order ${ORDER} line 1: 3 cannot be refunded, only 2 can (ordered 2: 2 shipped)`],
      [['--line', '1:0.5'], 2, '--line "1:0.5": the quantity must be a whole number of units, at least 1'],
      [
        ['--line', '1', '--amount', '21.00'],
        1,
        `order ${ORDER} line 1: --amount 21.00 is not a whole number of units at the unit_price 14.00: a refund is for whole units`,
      ],
      [
        ['--line', '1', '--amount', '42.00'],
        1,
        `order ${ORDER} line 1: --amount 42.00 is 3 unit(s) at 14.00 (unit_price) each, only 2 can be refunded (ordered 2: 2 shipped)`,
      ],
      [
        ['--line', '1', '--amount', '14.5p'],
        2,
        '--amount "14.5p": expected an amount greater than 0 in pounds and pence, e.g. 14.50',
      ],
      [['--line', '1', '--line', '2', '--amount', '14'], 2, '--amount is for one line: record one refund per line'],
      [
        ['--line', '2'],
        1,
        `order ${ORDER} line 2: nothing left to be refunded (ordered 1, nothing shipped or cancelled yet)`,
      ],
    ];
    for (const [args, code, message] of cases) {
      const run = await refund(ORDER, '--reason', 'Return', ...args);
      assert.equal(run.code, code, args.join(' '));
      assert.equal(run.stderr, `jl-edge orders refund: ${message}\n`);
    }
    const noLine = await refund(ORDER, '--reason', 'Return');
    assert.equal(noLine.code, 2);
    assert.match(noLine.stderr, /required option '--line <line_ref\[:qty\]>' not specified/);
    assert.deepEqual(
      updates(world()).map((u) => u.kind),
      ['shipment'],
      'nothing refused was stored',
    );

    const exact = await ok(world(), [
      'orders',
      'refund',
      ORDER,
      '--reason',
      'Damaged',
      '--line',
      '1',
      '--amount',
      '28.00',
      '--json',
    ]);
    assert.deepEqual(exact.json<{ lines: unknown[]; amount: string }>().lines, [
      { line_ref: '1', part_number: '11111111', quantity: 2 },
    ]);
    const twice = await refund(ORDER, '--reason', 'Return', '--line', '1:1');
    assert.equal(twice.code, 1, 'recorded refunds count');
    assert.equal(
      twice.stderr,
      `jl-edge orders refund: order ${ORDER} line 1: nothing left to be refunded (ordered 2: 2 shipped, 2 recorded for refund)\n`,
    );

    await ok(world(), ['send-refunds']);
    const [, refundFile] = sentFiles(world(), 'tracking-');
    assert.equal(
      refundFile.text,
      'order_number,supplier_ref\nY100000001,JLE-1\n' +
        'line_ref,part_number,quantity,status,carrier,tracking_number,tracking_url,supplier_dispatch_date,supplier_delivery_date,comment\n' +
        '1,11111111,2,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,CANCELLED POST-DISPATCH\n' +
        '4\n',
    );
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.amount, u.outbox_status]),
      [
        ['shipment', null, 'sent'],
        ['refund', '28.00', 'sent'],
      ],
    );
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 2, 0, 2],
      ['2', 0, 0, 0],
      ['3', 0, 0, 0],
    ]);
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');
  });
});
