import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, percentile, reportWindow, type AccountRows } from '../../src/report/figures.js';
import { duration, percent } from '../../src/report/html.js';

function rows(figures: Partial<AccountRows>): AccountRows {
  return {
    account: 'acme',
    leadTimeDays: 3,
    orders: [],
    shipmentLines: [],
    stockErrorsPerHour: [],
    failedUpdatesPerHour: [],
    ...figures,
  };
}

describe('report figures', () => {
  it('takes percentiles by nearest rank: always a value that was observed', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([7], 95), 7);
    // Of 4 values the median is the 2nd smallest (⌈0.5 × 4⌉ = 2), not the mean of the middle two.
    assert.equal(percentile([40, 10, 30, 20], 50), 20);
    // ⌈0.95 × 20⌉ = 19: the 19th smallest of 1..20.
    assert.equal(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        95,
      ),
      19,
    );
    assert.equal(percentile([3, 1, 2], 0), 1);
  });

  it('covers the last N London days, today included, reading rows from a day before the first', () => {
    // 23:30 UTC on 30 June is already 1 July in London (BST).
    assert.deepEqual(reportWindow(new Date('2026-06-30T23:30:00Z'), 3), {
      dates: ['2026-06-29', '2026-06-30', '2026-07-01'],
      readSince: '2026-06-28T00:00:00.000Z',
    });
  });

  it('folds UTC hours into London days and leaves out what falls before the window', () => {
    const report = buildReport(new Date('2026-06-02T12:00:00Z'), 2, [
      rows({
        stockErrorsPerHour: [
          { hour: '2026-05-31T22', count: 5 }, // 23:xx in London: before the window
          { hour: '2026-05-31T23', count: 2 }, // 00:xx on 1 June in London
          { hour: '2026-06-02T08', count: 1 },
        ],
        orders: [
          {
            orderNumber: 'A1',
            receivedAt: '2026-05-31T23:10:00.000Z', // 1 June in London
            acknowledgedAt: '2026-05-31T23:40:00.000Z',
            firstShipmentAt: null,
            cancellations: 1,
            refunds: 0,
          },
          {
            orderNumber: 'A0',
            receivedAt: '2026-05-31T22:10:00.000Z', // 31 May in London: left out
            acknowledgedAt: '2026-05-31T22:20:00.000Z',
            firstShipmentAt: null,
            cancellations: 0,
            refunds: 0,
          },
        ],
      }),
    ]);
    const [acme] = report.accounts;
    assert.deepEqual(acme!.stock_errors_per_day, [
      { date: '2026-06-01', count: 2 },
      { date: '2026-06-02', count: 1 },
    ]);
    assert.deepEqual(acme!.orders_per_day, [
      { date: '2026-06-01', count: 1 },
      { date: '2026-06-02', count: 0 },
    ]);
    assert.deepEqual(acme!.time_to_acknowledge, { orders: 1, median_minutes: 30, p95_minutes: 30 });
    assert.deepEqual(acme!.cancellations, {
      before_dispatch: 1,
      before_dispatch_rate: 1,
      after_dispatch: 0,
      after_dispatch_rate: 0,
    });
  });

  it('calls a dispatch late when its date is after the earliest due date of the lines it carried', () => {
    const order = {
      orderNumber: 'B1',
      receivedAt: '2026-06-01T09:00:00.000Z',
      acknowledgedAt: '2026-06-01T09:05:00.000Z',
      firstShipmentAt: '2026-06-04T09:00:00.000Z',
      cancellations: 0,
      refunds: 0,
    };
    const line = {
      orderNumber: 'B1',
      recordedAt: '2026-06-04T09:00:00.000Z',
      expectedDeliveryDate: undefined,
      productLeadTimeDays: null,
    };
    const report = buildReport(new Date('2026-06-05T12:00:00Z'), 5, [
      rows({
        orders: [order, { ...order, orderNumber: 'B2' }],
        shipmentLines: [
          // Shipment 1: one line promised for the 4th, one for the 3rd: the 3rd counts, so it is late.
          { ...line, shipmentId: 1, dispatchDate: '2026-06-04', promisedDate: '2026-06-04' },
          { ...line, shipmentId: 1, dispatchDate: '2026-06-04', promisedDate: '2026-06-03' },
          // Shipment 2: no dispatch date given (the day it was recorded counts), due from the expected
          // delivery date 7 June less the account's 3 days: the 4th, on time.
          {
            ...line,
            orderNumber: 'B2',
            shipmentId: 2,
            dispatchDate: null,
            promisedDate: undefined,
            expectedDeliveryDate: '2026-06-07',
          },
          // Shipment 3: no due date at all: never late.
          { ...line, orderNumber: 'B2', shipmentId: 3, dispatchDate: '2026-06-05', promisedDate: undefined },
        ],
      }),
    ]);
    assert.deepEqual(report.overall.dispatches, {
      total: 3,
      late: 1,
      late_rate: 0.3333,
      late_dispatches: [{ account: 'acme', order_number: 'B1', dispatch_date: '2026-06-04', due_date: '2026-06-03' }],
    });
    assert.deepEqual(report.overall.time_to_dispatch, { orders: 2, median_minutes: 4320, p95_minutes: 4320 });
  });

  it('lists the 20 latest late dispatches by dispatch date, and counts them all', () => {
    // 25 orders received on June 1, each due that day and dispatched late: on June 2 … June 26.
    const shipments = Array.from({ length: 25 }, (_, i) => i);
    const report = buildReport(new Date('2026-06-30T12:00:00Z'), 30, [
      rows({
        orders: shipments.map((i) => ({
          orderNumber: `L${i}`,
          receivedAt: '2026-06-01T09:00:00.000Z',
          acknowledgedAt: null,
          firstShipmentAt: null,
          cancellations: 0,
          refunds: 0,
        })),
        // Recorded newest first: the list is ordered by dispatch date, not by the rows' order.
        shipmentLines: shipments.reverse().map((i) => ({
          shipmentId: i,
          orderNumber: `L${i}`,
          dispatchDate: `2026-06-${String(i + 2).padStart(2, '0')}`,
          recordedAt: '2026-06-27T09:00:00.000Z',
          promisedDate: '2026-06-01',
          expectedDeliveryDate: undefined,
          productLeadTimeDays: null,
        })),
      }),
    ]);
    const { dispatches } = report.overall;
    assert.deepEqual([dispatches.total, dispatches.late, dispatches.late_rate], [25, 25, 1]);
    assert.deepEqual(
      dispatches.late_dispatches.map((d) => d.order_number),
      Array.from({ length: 20 }, (_, i) => `L${i + 5}`),
    );
  });

  it('gives null rates and figures, not zeros, when there is nothing to take them of', () => {
    const report = buildReport(new Date('2026-06-05T12:00:00Z'), 1, [rows({})]);
    assert.deepEqual(report.overall.time_to_acknowledge, { orders: 0, median_minutes: null, p95_minutes: null });
    assert.equal(report.overall.dispatches.late_rate, null);
    assert.equal(report.overall.cancellations.before_dispatch_rate, null);
  });

  it('shows durations and shares as people read them', () => {
    assert.equal(duration(null), '—');
    assert.equal(duration(42.4), '42 min');
    assert.equal(duration(90), '1.5 h');
    assert.equal(duration(4320), '3.0 days');
    assert.equal(percent(0.3333), '33.3 %');
    assert.equal(percent(null), '—');
  });
});
