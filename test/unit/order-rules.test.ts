import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCarrier } from '../../src/core/carriers.js';
import { UsageError } from '../../src/core/errors.js';
import {
  RequestRefusedError,
  acceptedLines,
  deriveStatus,
  isBusinessDate,
  parseLineRequests,
  planCancellation,
  planRefund,
  planRequestedCancellation,
  planShipment,
  shipmentOverrides,
  unitsForAmount,
  withRecorded,
  type LineState,
  type OrderState,
} from '../../src/core/order-rules.js';
import type { OrderStatus } from '../../src/db/repo/orders.js';

function line(lineRef: string, quantity: number, figures: Partial<LineState> = {}): LineState {
  return {
    lineRef,
    quantity,
    shipped: 0,
    cancelled: 0,
    refunded: 0,
    pendingShipped: 0,
    pendingCancelled: 0,
    pendingRefunded: 0,
    requestedCancellation: 0,
    unitPrice: null,
    ...figures,
  };
}

function order(status: OrderStatus, lines: LineState[]): OrderState {
  return { orderNumber: 'Y100000001', status, lines };
}

/** Three lines: 2 × line 1, 1 × line 2, 3 × line 3. */
const THREE_LINES = [line('1', 2), line('2', 1), line('3', 3)];

describe('--line parsing', () => {
  it('reads a line reference with and without a quantity', () => {
    assert.deepEqual(parseLineRequests(['1', '2:3', ' 3 : 1 ']), [
      { lineRef: '1', quantity: null },
      { lineRef: '2', quantity: 3 },
      { lineRef: '3', quantity: 1 },
    ]);
  });

  it('a fraction, zero, a negative or a word as the quantity is a usage error', () => {
    for (const value of ['1:0.5', '1:0', '1:-1', '1:two', '1:']) {
      assert.throws(
        () => parseLineRequests([value]),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, value);
          assert.equal(err.message, `--line "${value}": the quantity must be a whole number of units, at least 1`);
          return true;
        },
      );
    }
  });

  it('an empty reference and a line named twice are usage errors', () => {
    assert.throws(() => parseLineRequests([':2']), /expected <line_ref>\[:qty\]/);
    assert.throws(() => parseLineRequests(['1', '1:1']), /line 1 is named more than once/);
  });
});

describe('shipping', () => {
  it('no --line ships every unit left, counting recorded shipments and cancellations', () => {
    const state = order('partially_shipped', [
      line('1', 2, { shipped: 1 }),
      line('2', 1, { pendingCancelled: 1 }),
      line('3', 3, { pendingShipped: 1 }),
    ]);
    assert.deepEqual(planShipment(state, []), {
      lines: [
        { lineRef: '1', quantity: 1 },
        { lineRef: '3', quantity: 2 },
      ],
      refusals: [],
    });
  });

  it('never more than ordered minus cancelled minus shipped minus recorded', () => {
    const state = order('ready_to_ship', [line('1', 3, { shipped: 1, pendingShipped: 1 })]);
    assert.deepEqual(planShipment(state, [{ lineRef: '1', quantity: 1 }]).lines, [{ lineRef: '1', quantity: 1 }]);
    const over = planShipment(state, [{ lineRef: '1', quantity: 2 }]);
    assert.deepEqual(over.refusals, [
      {
        kind: 'refused',
        message:
          'order Y100000001 line 1: 2 cannot be shipped, only 1 can (ordered 3: 1 shipped, 1 recorded for shipment)',
      },
    ]);
    assert.throws(() => acceptedLines(over), RequestRefusedError);
  });

  it('only ready_to_ship and partially_shipped orders ship; the refusal says why', () => {
    const expected: Partial<Record<OrderStatus, string>> = {
      awaiting_ack:
        'order Y100000001 cannot be shipped: it is awaiting its acknowledgement; it can ship once ack-orders has sent it',
      incomplete:
        'order Y100000001 cannot be shipped: it is incomplete (its order file had errors) and is never acknowledged',
      shipped: 'order Y100000001 cannot be shipped: it is already shipped in full',
      cancelled: 'order Y100000001 cannot be shipped: it is cancelled',
    };
    for (const [status, message] of Object.entries(expected)) {
      assert.deepEqual(planShipment(order(status as OrderStatus, THREE_LINES), []), {
        lines: [],
        refusals: [{ kind: 'refused', message }],
      });
    }
  });

  it('an unknown line is a usage error (exit 2), an over-shipped one a refusal (exit 1); usage wins', () => {
    const plan = planShipment(order('ready_to_ship', THREE_LINES), [
      { lineRef: '9', quantity: null },
      { lineRef: '1', quantity: 5 },
    ]);
    assert.deepEqual(
      plan.refusals.map((r) => r.kind),
      ['usage', 'refused'],
    );
    assert.equal(plan.refusals[0].message, 'order Y100000001 has no line "9" (its lines: 1, 2, 3)');
    assert.throws(
      () => acceptedLines(plan),
      (err: unknown) => err instanceof UsageError && /no line "9"/.test(err.message),
    );
  });

  it('an order with nothing left is refused, naming the units recorded for cancellation', () => {
    const state = order('ready_to_ship', [line('1', 1, { pendingCancelled: 1 })]);
    assert.equal(planShipment(state, []).refusals[0].message, 'order Y100000001 has nothing left to be shipped');
    assert.equal(
      planShipment(state, [{ lineRef: '1', quantity: null }]).refusals[0].message,
      'order Y100000001 line 1: nothing left to be shipped (ordered 1: 1 recorded for cancellation) — units recorded for cancellation cannot ship',
    );
  });

  it('rows checked one after another count each other (import-shipments)', () => {
    let state = order('ready_to_ship', THREE_LINES);
    const first = acceptedLines(planShipment(state, [{ lineRef: '3', quantity: 2 }]));
    state = withRecorded(state, 'shipment', first);
    assert.equal(state.lines[2].pendingShipped, 2);
    assert.equal(
      planShipment(state, [{ lineRef: '3', quantity: 2 }]).refusals[0].message,
      'order Y100000001 line 3: 2 cannot be shipped, only 1 can (ordered 3: 2 recorded for shipment)',
    );
  });
});

describe('cancelling', () => {
  it('no --line cancels every unit neither shipped nor cancelled', () => {
    const state = order('partially_shipped', [
      line('1', 2, { shipped: 2 }),
      line('2', 1),
      line('3', 3, { shipped: 1, cancelled: 1 }),
    ]);
    assert.deepEqual(planCancellation(state, []).lines, [
      { lineRef: '2', quantity: 1 },
      { lineRef: '3', quantity: 1 },
    ]);
  });

  it('a shipped line is refused with a pointer to refunds', () => {
    const state = order('partially_shipped', [line('1', 2, { shipped: 2 }), line('2', 1)]);
    assert.deepEqual(planCancellation(state, [{ lineRef: '1', quantity: null }]).refusals, [
      {
        kind: 'refused',
        message:
          'order Y100000001 line 1: nothing left to be cancelled (ordered 2: 2 shipped) — a shipped unit cannot be cancelled before shipment: refund it with `jl-edge orders refund`',
      },
    ]);
  });

  it('may be recorded before the acknowledgement is sent, never for a shipped, cancelled or incomplete order', () => {
    assert.deepEqual(planCancellation(order('awaiting_ack', THREE_LINES), [{ lineRef: '2', quantity: 1 }]), {
      lines: [{ lineRef: '2', quantity: 1 }],
      refusals: [],
    });
    for (const status of ['shipped', 'cancelled', 'incomplete'] as const) {
      assert.equal(planCancellation(order(status, THREE_LINES), []).refusals[0].kind, 'refused');
    }
  });

  it('units recorded for shipment cannot be cancelled', () => {
    const state = order('ready_to_ship', [line('1', 2, { pendingShipped: 1 })]);
    assert.match(
      planCancellation(state, [{ lineRef: '1', quantity: 2 }]).refusals[0].message,
      /2 cannot be cancelled, only 1 can/,
    );
  });
});

describe('customer cancellation requests', () => {
  const requested = order('partially_shipped', [
    line('1', 3, { shipped: 1, requestedCancellation: 1 }),
    line('2', 1, { requestedCancellation: 1 }),
    line('3', 2, { pendingShipped: 2, requestedCancellation: 2 }),
  ]);

  it('units under an open request do not ship; the others do', () => {
    assert.deepEqual(planShipment(requested, [{ lineRef: '1', quantity: 1 }]), {
      lines: [{ lineRef: '1', quantity: 1 }],
      refusals: [],
    });
    const refused = planShipment(requested, [{ lineRef: '1', quantity: 2 }]);
    assert.deepEqual(refused.lines, []);
    assert.deepEqual(
      refused.refusals.map((r) => r.kind),
      ['refused'],
    );
    assert.match(refused.refusals[0].message, /^order Y100000001 line 1: 1 unit\(s\) are under the customer's open/);
    assert.equal(planShipment(requested, []).refusals.length, 2, 'no --line: lines 1 and 2 hold requested units');
  });

  it('--force ships them, and names the lines whose request it overrides', () => {
    const forced = planShipment(requested, [], { force: true });
    assert.deepEqual(forced, {
      lines: [
        { lineRef: '1', quantity: 2 },
        { lineRef: '2', quantity: 1 },
      ],
      refusals: [],
    });
    assert.deepEqual(shipmentOverrides(requested, forced.lines), forced.lines);
    assert.deepEqual(shipmentOverrides(requested, [{ lineRef: '1', quantity: 1 }]), []);
  });

  it('accepting cancels the requested units still open and reports those shipped meanwhile', () => {
    assert.deepEqual(planRequestedCancellation(requested), {
      lines: [
        { lineRef: '1', quantity: 1 },
        { lineRef: '2', quantity: 1 },
      ],
      refusals: [],
      shortfalls: [{ lineRef: '3', requested: 2, cancelled: 0, why: 'ordered 2: 2 recorded for shipment' }],
    });
    const allShipped = order('shipped', [line('1', 1, { shipped: 1, requestedCancellation: 1 })]);
    assert.deepEqual(
      planRequestedCancellation(allShipped).refusals.map((r) => r.message),
      ['order Y100000001 cannot be cancelled: it is already shipped in full'],
    );
  });
});

describe('refunding', () => {
  const shippedOrder = order('shipped', [
    line('1', 2, { shipped: 2, unitPrice: { value: '14.00', column: 'unit_price' } }),
    line('2', 1, { shipped: 1 }),
  ]);

  it('whole shipped units not yet refunded, counting recorded refunds', () => {
    const state = order('shipped', [line('1', 3, { shipped: 3, refunded: 1, pendingRefunded: 1 })]);
    assert.deepEqual(planRefund(state, [{ lineRef: '1', quantity: null }], null).lines, [
      { lineRef: '1', quantity: 1 },
    ]);
    assert.equal(
      planRefund(state, [{ lineRef: '1', quantity: 2 }], null).refusals[0].message,
      'order Y100000001 line 1: 2 cannot be refunded, only 1 can (ordered 3: 3 shipped, 1 refunded, 1 recorded for refund)',
    );
  });

  it('units whose shipment is not sent yet cannot be refunded', () => {
    const state = order('ready_to_ship', [line('1', 2, { pendingShipped: 2 })]);
    assert.equal(
      planRefund(state, [{ lineRef: '1', quantity: 1 }], null).refusals[0].message,
      'order Y100000001 line 1: nothing left to be refunded (ordered 2: 2 recorded for shipment) — units are refundable once their shipment has been sent (send-shipments)',
    );
  });

  it('an amount that is whole units of the unit price says how many', () => {
    assert.deepEqual(planRefund(shippedOrder, [{ lineRef: '1', quantity: null }], '14'), {
      lines: [{ lineRef: '1', quantity: 1 }],
      refusals: [],
    });
    assert.deepEqual(planRefund(shippedOrder, [{ lineRef: '1', quantity: 2 }], '28.00'), {
      lines: [{ lineRef: '1', quantity: 2 }],
      refusals: [],
    });
  });

  it('an amount that is not a multiple of the unit price, disagrees with the units, or exceeds them is refused', () => {
    const message = (amount: string, quantity: number | null): string => {
      const plan = planRefund(shippedOrder, [{ lineRef: '1', quantity }], amount);
      assert.equal(plan.refusals[0].kind, 'refused');
      return plan.refusals[0].message;
    };
    assert.equal(
      message('7.00', null),
      'order Y100000001 line 1: --amount 7.00 is not a whole number of units at the unit_price 14.00: a refund is for whole units',
    );
    assert.equal(
      message('14.01', null),
      'order Y100000001 line 1: --amount 14.01 is not a whole number of units at the unit_price 14.00: a refund is for whole units',
    );
    assert.equal(
      message('28', 1),
      'order Y100000001 line 1: --amount 28 is 2 unit(s) at 14.00 (unit_price) each, but --line asks for 1',
    );
    assert.equal(
      message('42', null),
      'order Y100000001 line 1: --amount 42 is 3 unit(s) at 14.00 (unit_price) each, only 2 can be refunded (ordered 2: 2 shipped)',
    );
  });

  it('an amount is refused when the order file gave no unit price', () => {
    assert.match(
      planRefund(shippedOrder, [{ lineRef: '2', quantity: null }], '89.00').refusals[0].message,
      /^order Y100000001 line 2: the order file gave neither a unit_price nor a unit_cost_price for this line/,
    );
  });

  it('a malformed amount, an amount for several lines, or no line at all is a usage error', () => {
    for (const amount of ['0', '0.00', '-14', '14.001', '£14', '1e3']) {
      assert.equal(
        planRefund(shippedOrder, [{ lineRef: '1', quantity: null }], amount).refusals[0].kind,
        'usage',
        amount,
      );
    }
    assert.equal(
      planRefund(
        shippedOrder,
        [
          { lineRef: '1', quantity: null },
          { lineRef: '2', quantity: null },
        ],
        '14',
      ).refusals[0].message,
      '--amount is for one line: record one refund per line',
    );
    assert.equal(planRefund(shippedOrder, [], null).refusals[0].kind, 'usage');
  });

  it('compares money in exact minor units, whatever the number of decimals', () => {
    const price = (value: string) => ({ value, column: 'unit_price' });
    assert.deepEqual(unitsForAmount('0.3', price('0.10')), { units: 3 });
    assert.deepEqual(unitsForAmount('29.97', price('9.99')), { units: 3 });
    assert.deepEqual(unitsForAmount('10', price('3.333')), {
      error: '--amount 10 is not a whole number of units at the unit_price 3.333: a refund is for whole units',
    });
    assert.deepEqual(unitsForAmount('10', price('0.00')), {
      error: 'the unit_price in the order file is 0, so an amount cannot be whole units of it',
    });
    assert.deepEqual(unitsForAmount('28', { value: '14.00', column: 'unit_cost_price' }), { units: 2 });
  });
});

describe('order status', () => {
  const lines = (...figures: [number, number, number][]) =>
    figures.map(([quantity, shipped, cancelled]) => ({ quantity, shipped, cancelled }));

  it('follows SPEC §3 from the units sent', () => {
    assert.equal(deriveStatus('ready_to_ship', lines([2, 0, 0], [1, 0, 0])), 'ready_to_ship');
    assert.equal(deriveStatus('ready_to_ship', lines([2, 2, 0], [1, 0, 0])), 'partially_shipped');
    assert.equal(deriveStatus('partially_shipped', lines([2, 2, 0], [1, 1, 0])), 'shipped');
    assert.equal(
      deriveStatus('partially_shipped', lines([2, 2, 0], [1, 0, 1])),
      'shipped',
      'every unit shipped or cancelled, one shipped',
    );
    assert.equal(deriveStatus('ready_to_ship', lines([2, 0, 2], [1, 0, 1])), 'cancelled');
    assert.equal(
      deriveStatus('ready_to_ship', lines([2, 0, 1], [1, 0, 0])),
      'ready_to_ship',
      'some cancelled, none shipped',
    );
  });

  it('never moves an order that is not acknowledged', () => {
    assert.equal(deriveStatus('awaiting_ack', lines([1, 0, 1])), 'awaiting_ack');
    assert.equal(deriveStatus('incomplete', lines([1, 1, 0])), 'incomplete');
  });
});

describe('dates', () => {
  it('accepts real yyyy-mm-dd dates only', () => {
    assert.equal(isBusinessDate('2026-03-02'), true);
    assert.equal(isBusinessDate('2028-02-29'), true);
    for (const bad of ['2026-02-30', '2026-13-01', '02/03/2026', '2026-3-2', ''])
      assert.equal(isBusinessDate(bad), false, bad);
  });
});

describe('carriers', () => {
  const account = { name: 'acme', carrierMap: { 'DPD Next Day': 'dpd', Hermes: 'hermes' } };

  it('built-in codes, mapped names and mapped codes resolve, ignoring case and spacing', () => {
    assert.deepEqual(resolveCarrier('royal-mail', account), { code: 'royal-mail' });
    assert.deepEqual(resolveCarrier(' DPD ', account), { code: 'dpd' });
    assert.deepEqual(resolveCarrier('dpd  next day', account), { code: 'dpd' });
    assert.deepEqual(
      resolveCarrier('hermes', account),
      { code: 'hermes' },
      'an account adds a code by mapping a name to it',
    );
  });

  it('a carrier neither known nor mapped is refused, saying how to map it', () => {
    assert.deepEqual(resolveCarrier('Speedy Parcels', account), {
      error:
        'unknown carrier "Speedy Parcels": use one of The Edge\'s carrier codes (dpd, royal-mail, parcelforce, dhl, yodel, evri, ups, fedex, tnt, dx, hermes)' +
        " or a name in account acme's carrier map (DPD Next Day, Hermes)," +
        ' or map it: jl-edge accounts set acme --carrier-map "DPD Next Day=dpd,Hermes=hermes,Speedy Parcels=<code>"',
    });
    assert.deepEqual(resolveCarrier('  ', account), { error: 'the carrier is empty' });
  });
});
