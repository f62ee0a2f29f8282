/**
 * Pre-shipment cancellations through the built binary against a real OpenSSH sshd (SPEC §3, §4.5, §5.4):
 * recorded with `orders cancel`, sent by `send-cancels` after the acknowledgement and never while another
 * file for the order is in flight; files byte for byte, quantities and status from the SQLite file.
 */
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { edgeExample, item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, OUTGOING } from '../fixtures/orders/edge-world.js';
import { LATER, acknowledged, downloaded, ok, threeLineOrder, useEdgeWorld } from '../fixtures/shipments/orders-out.js';
import { lineFigures, orderStatus, outboxRows, sentFiles, summaryOf, updates } from '../fixtures/shipments/results.js';

const ORDER = 'Y100000001';
const EXAMPLE_ORDER = edgeExample('order-20260301101500123456.txt');
/** What jl-edge sends when order Y100012346 (its second order: JLE-2), one unit of 12345678, is cancelled as out of stock. */
const EXAMPLE_CANCEL = edgeExample('cancel-20260301120000000001.ack').toString('utf8');
const CANCEL_HEADER = 'order_number,supplier_ref\nY100000001,JLE-1\nline_ref,part_number,quantity,reason,comment\n';

describe(`cancellations against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = useEdgeWorld();

  /** Moves the outgoing folder away so every upload fails, as a server refusing writes would. */
  const outgoingAway = (): (() => void) => {
    renameSync(world().local(OUTGOING), world().local(`${OUTGOING}-away`));
    return () => renameSync(world().local(`${OUTGOING}-away`), world().local(OUTGOING));
  };

  it('cancels the unshipped lines of a partly shipped order, after refusing its shipped line; the order ends shipped', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1', '--line', '1']);
    await ok(world(), ['send-shipments']);
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');

    const shippedLine = await world().cli(['orders', 'cancel', ORDER, '--reason', 'Out of stock', '--line', '1'], {
      env: LATER,
    });
    assert.equal(shippedLine.code, 1);
    assert.equal(
      shippedLine.stderr,
      `jl-edge orders cancel: order ${ORDER} line 1: nothing left to be cancelled (ordered 2: 2 shipped) — a shipped unit cannot be cancelled before shipment: refund it with \`jl-edge orders refund\`\n`,
    );
    assert.equal(updates(world()).filter((u) => u.kind === 'cancellation').length, 0);

    // No --line: every unit neither shipped nor cancelled.
    const recorded = await ok(world(), ['orders', 'cancel', ORDER, '--reason', 'Out of stock']);
    assert.equal(
      recorded.stdout,
      `recorded cancellation of order ${ORDER} (${ACCOUNT}) as update 2: line 2 x1, line 3 x3 (reason: Out of stock)\nsend-cancels sends it\n`,
    );
    const shipMore = await world().cli(
      ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-2', '--line', '3:1'],
      { env: LATER },
    );
    assert.equal(shipMore.code, 1, 'units recorded for cancellation cannot ship');

    const sent = await ok(world(), ['send-cancels', '--json']);
    assert.deepEqual([summaryOf(sent).sent, summaryOf(sent).pending, summaryOf(sent).waiting], [1, 0, 0]);
    const [file] = sentFiles(world(), 'cancel-');
    assert.match(file.name, /^cancel-20260302143000\d{6}\.ack$/);
    assert.equal(file.text, `${CANCEL_HEADER}2,22222222,1,Out of stock,\n3,33333333,3,Out of stock,\n5\n`);
    assert.equal(orderStatus(world(), ORDER), 'shipped', 'every unit shipped or cancelled, one shipped');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 2, 0, 0],
      ['2', 0, 1, 0],
      ['3', 0, 3, 0],
    ]);
  });

  it('cancels a whole unshipped order: the example cancellation acknowledgement byte for byte, and the order becomes cancelled', async () => {
    await downloaded(world(), EXAMPLE_ORDER);
    await acknowledged(world(), orderFile({ order: orderSection('Y100012346'), items: [item('1', '12345678', '1')] }));

    await ok(world(), ['orders', 'cancel', 'Y100012346', '--reason', 'Out of stock']);
    const sent = await ok(world(), ['send-cancels'], { JL_EDGE_NOW: '2026-03-01T12:00:00Z' });

    assert.equal(sent.stdout, `send-cancels ${ACCOUNT}: 1 sent, 0 failed, 0 pending, 0 waiting\n`);
    const [file] = sentFiles(world(), 'cancel-');
    assert.match(file.name, /^cancel-20260301120000\d{6}\.ack$/);
    assert.equal(file.text, EXAMPLE_CANCEL);
    assert.equal(orderStatus(world(), 'Y100012346'), 'cancelled');
    assert.equal(orderStatus(world(), 'Y100012345'), 'ready_to_ship', 'the other order is untouched');
    const ship = await world().cli(['orders', 'ship', 'Y100012346', '--carrier', 'dpd', '--tracking', 'T'], {
      env: LATER,
    });
    assert.equal(ship.code, 1);
    assert.equal(ship.stderr, 'jl-edge orders ship: order Y100012346 cannot be shipped: it is cancelled\n');
  });

  it('a cancellation of an order not yet acknowledged is recorded and waits; it goes out after the acknowledgement', async () => {
    await downloaded(world(), threeLineOrder(ORDER));

    const recorded = await ok(world(), [
      'orders',
      'cancel',
      ORDER,
      '--reason',
      'Customer changed mind',
      '--line',
      '3:2',
      '--json',
    ]);
    assert.equal(
      recorded.json<{ waiting_for: string }>().waiting_for,
      'the order acknowledgement (ack-orders sends it first)',
    );

    const early = await ok(world(), ['send-cancels', '--json']);
    assert.deepEqual([summaryOf(early).sent, summaryOf(early).pending, summaryOf(early).waiting], [0, 0, 1]);
    assert.deepEqual(summaryOf(early).warnings, [
      { order: ORDER, message: 'waits for its acknowledgement to be sent (ack-orders)' },
    ]);
    assert.deepEqual(world().files(OUTGOING), new Map());
    assert.deepEqual(
      updates(world()).map((u) => u.outbox_id),
      [null],
    );

    await ok(world(), ['ack-orders']);
    await ok(world(), ['send-cancels']);

    const [ack] = sentFiles(world(), 'order-');
    const [cancel] = sentFiles(world(), 'cancel-');
    assert.match(ack.text, /\n3,33333333,3,Pending,/, 'the acknowledgement covers every unit, as always');
    assert.equal(cancel.text, `${CANCEL_HEADER}3,33333333,2,Customer changed mind,\n4\n`);
    const [ackRow, cancelRow] = outboxRows(world());
    assert.deepEqual([ackRow.flow, cancelRow.flow], ['OrderAcknowledge', 'CancellationAcknowledgement']);
    assert.equal(orderStatus(world(), ORDER), 'ready_to_ship', 'some units cancelled, none shipped');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 0, 0, 0],
      ['2', 0, 0, 0],
      ['3', 0, 2, 0],
    ]);
  });

  it('a shipment and a cancellation recorded in one cron cycle go out one after the other, never both in flight', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1', '--line', '1']);
    await ok(world(), ['orders', 'cancel', ORDER, '--reason', 'Out of stock', '--line', '2']);

    // The shipment's upload fails: its file stays pending, in flight.
    const restore = outgoingAway();
    const shipments = await world().cli(['send-shipments', '--json'], { env: LATER });
    assert.equal(shipments.code, 1);
    assert.deepEqual([summaryOf(shipments).sent, summaryOf(shipments).pending], [0, 1]);

    const cancels = await ok(world(), ['send-cancels', '--json']);
    assert.deepEqual([summaryOf(cancels).sent, summaryOf(cancels).pending, summaryOf(cancels).waiting], [0, 0, 1]);
    assert.deepEqual(summaryOf(cancels).warnings, [
      { order: ORDER, message: 'waits for the file in flight for it to be sent (one update per order at a time)' },
    ]);
    assert.deepEqual(
      outboxRows(world()).map((row) => [row.flow, row.status]),
      [
        ['OrderAcknowledge', 'sent'],
        ['OrderShipment', 'pending'],
      ],
    );

    // The next cron cycle: the shipment completes, then the cancellation is built and sent.
    restore();
    await ok(world(), ['send-shipments']);
    await ok(world(), ['send-cancels']);

    assert.deepEqual(
      outboxRows(world()).map((row) => [row.flow, row.status, row.attempts]),
      [
        ['OrderAcknowledge', 'sent', 1],
        ['OrderShipment', 'sent', 2],
        ['CancellationAcknowledgement', 'sent', 1],
      ],
    );
    assert.equal(sentFiles(world(), 'tracking-').length, 1);
    assert.equal(sentFiles(world(), 'cancel-')[0].text, `${CANCEL_HEADER}2,22222222,1,Out of stock,\n4\n`);
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 2, 0, 0],
      ['2', 0, 1, 0],
      ['3', 0, 0, 0],
    ]);
  });

  it('a cancellation whose uploads keep failing ends failed: its units stay recorded, it is not rebuilt, and the order goes on', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'cancel', ORDER, '--reason', 'Out of stock', '--line', '2']);

    const restore = outgoingAway();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const run = await world().cli(['send-cancels', '--json'], { env: LATER });
      assert.equal(run.code, 1);
    }
    restore();
    const [, failed] = outboxRows(world());
    assert.deepEqual([failed.flow, failed.status, failed.attempts], ['CancellationAcknowledgement', 'failed', 5]);

    const later = await ok(world(), ['send-cancels', '--json']);
    assert.deepEqual(
      [summaryOf(later).sent, summaryOf(later).pending, summaryOf(later).waiting],
      [0, 0, 0],
      'a failed file waits for a person',
    );
    assert.deepEqual(sentFiles(world(), 'cancel-'), []);
    const again = await world().cli(['orders', 'cancel', ORDER, '--reason', 'Out of stock', '--line', '2'], {
      env: LATER,
    });
    assert.equal(again.code, 1, 'its units still count as recorded');

    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1']);
    await ok(world(), ['send-shipments']);
    assert.equal(
      sentFiles(world(), 'tracking-').length,
      1,
      'a failed file does not block the next update of the order',
    );
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');

    const shown = await ok(world(), ['orders', 'show', ORDER]);
    assert.match(
      shown.stdout,
      new RegExp(
        `\\n {4}cancellation 1: line 2 x1 \\(reason: Out of stock\\): failed: ${OUTGOING}/cancel-\\d{20}\\.ack\\n`,
      ),
    );
    assert.match(
      shown.stdout,
      /\n {4}shipment 2: line 1 x2, line 3 x3 \(dpd DPD-1, dispatched 2026-03-02, delivery 2026-03-05\): sent: /,
    );
  });
});
