/**
 * The report's repository queries on the engine of the pass (SQLite, then PostgreSQL): the same rows,
 * normalised the same way (counts as numbers, missing times as null), on the 30-day fixture.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ENGINE_LABEL, createTestDb } from '../helpers/test-db.js';
import { openDatabase } from '../../src/db/connection.js';
import { Repository } from '../../src/db/repository.js';
import { seedThirtyDays } from '../fixtures/report/thirty-days.js';

/** From this instant the window of the fixture's report reads (a day before June 1). */
const SINCE = '2026-05-31T00:00:00.000Z';

describe(`report repository${ENGINE_LABEL}`, () => {
  const tmp = tempDir();
  const db = createTestDb(tmp.path('db.sqlite'));
  let repo: Repository;
  let west: number;

  before(async () => {
    await seedThirtyDays(db, tmp.path('edge'));
    const { knex, dialect } = await openDatabase(db.url);
    repo = new Repository(knex, dialect);
    west = (await repo.accounts.findByName('west'))!.id;
  });
  after(async () => {
    await repo.close();
    tmp.remove();
  });

  it('reads the orders received since a time with their acknowledgement, first shipment and update counts', async () => {
    const orders = await repo.report.ordersReceivedSince(west, SINCE);
    const june = (day: number, time: string) => `2026-06-${String(day).padStart(2, '0')}T${time}.000Z`;
    assert.deepEqual(orders.slice(0, 4), [
      {
        orderNumber: 'W000',
        receivedAt: '2026-05-31T10:00:00.000Z',
        acknowledgedAt: '2026-05-31T10:05:00.000Z',
        firstShipmentAt: null,
        cancellations: 0,
        refunds: 0,
      },
      {
        orderNumber: 'W001',
        receivedAt: june(1, '10:00:00'),
        acknowledgedAt: june(1, '10:06:00'),
        firstShipmentAt: june(2, '10:00:00'),
        cancellations: 0,
        refunds: 1,
      },
      {
        orderNumber: 'W002',
        receivedAt: june(4, '10:00:00'),
        acknowledgedAt: june(4, '10:12:00'),
        firstShipmentAt: null,
        cancellations: 1,
        refunds: 0,
      },
      {
        orderNumber: 'W003',
        receivedAt: june(7, '10:00:00'),
        acknowledgedAt: june(7, '10:18:00'),
        firstShipmentAt: june(10, '10:00:00'),
        cancellations: 0,
        refunds: 0,
      },
    ]);
    assert.equal(orders.length, 11);
    assert.deepEqual(orders[10], {
      orderNumber: 'W010',
      receivedAt: june(28, '10:00:00'),
      acknowledgedAt: null,
      firstShipmentAt: null,
      cancellations: 0,
      refunds: 0,
    });
    assert.deepEqual(await repo.report.ordersReceivedSince(west, june(28, '10:00:01')), []);
  });

  it('reads the lines of each shipment with what their due date is made from', async () => {
    const lines = await repo.report.shipmentLinesOfOrdersSince(west, SINCE);
    assert.deepEqual(
      lines.map((l) => [
        l.orderNumber,
        l.dispatchDate,
        l.recordedAt,
        l.promisedDate,
        l.expectedDeliveryDate,
        l.productLeadTimeDays,
      ]),
      [
        ['W001', '2026-06-02', '2026-06-02T10:00:00.000Z', '', '2026-06-06', null],
        ['W003', '2026-06-10', '2026-06-10T10:00:00.000Z', '', '2026-06-12', null],
        ['W005', '2026-06-15', '2026-06-15T10:00:00.000Z', '', '2026-06-18', null],
        ['W007', '2026-06-20', '2026-06-20T10:00:00.000Z', '', '2026-06-24', null],
      ],
    );
    assert.equal(new Set(lines.map((l) => l.shipmentId)).size, 4);
  });

  it('counts stock errors and failed outgoing files per UTC hour', async () => {
    assert.deepEqual(await repo.report.stockErrorsPerHourSince(west, SINCE), [
      { hour: '2026-05-31T10', count: 1 },
      ...[1, 8, 15, 22, 29].map((day) => ({ hour: `2026-06-${String(day).padStart(2, '0')}T08`, count: 3 })),
    ]);
    assert.deepEqual(await repo.report.failedUpdatesPerHourSince(west, '2026-06-01T00:00:00.000Z'), [
      { hour: '2026-06-04T09', count: 1 },
      { hour: '2026-06-14T09', count: 1 },
      { hour: '2026-06-24T09', count: 1 },
    ]);
  });
});
