/**
 * `orders list --since` and `--limit`: a large database must not flood a terminal, and a person narrows
 * the listing by when orders arrived. The listings are checked in-process, what the binary prints (the
 * table, the count of orders left out, refusals) end to end. Orders are downloaded on three days
 * around the change to British Summer Time (29 March 2026), so `--since <date>` is checked against
 * London's calendar, not UTC's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { importProducts } from '../../src/commands/import-products.js';
import { listOrders, parseSince, type ListOrdersOptions } from '../../src/commands/orders.js';
import { assertUsageError, runCli, tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';

const PART_NUMBER = '12345678';
const orderNumber = (n: number) => `Y3${String(n).padStart(8, '0')}`;

/** When each batch of orders was downloaded (JL_EDGE_NOW) and how many it brought. */
const ARRIVALS = [
  { now: '2026-03-28T12:00:00Z', count: 3 },
  // 00:30 on 31 March in London (summer time), still 30 March in UTC.
  { now: '2026-03-30T23:30:00Z', count: 1 },
  { now: '2026-03-31T10:00:00Z', count: 55 },
];
const TOTAL = 59;
const LISTED_AT = '2026-03-31T12:00:00Z';

const HEADER = 'ORDER       ACCOUNT  STATUS        LINES  UNITS  ERRORS  RECEIVED';
const row = (n: number, received: string) =>
  `${orderNumber(n)}  shop     awaiting_ack  1      1              ${received}`;
/** The listing's rows in order: order n arrived with the batch its number falls in. */
const ROWS = Array.from({ length: TOTAL }, (_, index) => {
  const n = index + 1;
  const received = n <= 3 ? '2026-03-28 12:00' : n === 4 ? '2026-03-30 23:30' : '2026-03-31 10:00';
  return row(n, received);
});
const more = (left: number) =>
  `… ${left} more order${left === 1 ? '' : 's'} not listed (--limit n lists more, --since date starts later, --json lists every one)`;

describe('orders list --since and --limit', () => {
  const temp = tempDir('jl-edge-orders-window-');
  const db = temp.path('db.sqlite');
  const cli = (args: string[]) => runCli([...args, '--db', db], { cwd: temp.dir, env: { JL_EDGE_NOW: LISTED_AT } });
  const at = (now: string) => inProcess({ db, dir: temp.dir, env: { JL_EDGE_NOW: now } });
  /** The numbers `orders list --json [--since since] [--limit limit]` lists. */
  const listedNumbers = async ({ since, limit }: { since?: string; limit?: number } = {}) => {
    const options: ListOrdersOptions = { since: since === undefined ? undefined : parseSince(since), limit };
    const listing = await at(LISTED_AT).run((ctx) => listOrders(ctx, options));
    return listing.orders.map((order) => order.order_number);
  };

  before(async () => {
    const incoming = temp.path('shop', 'live', 'incoming');
    mkdirSync(incoming, { recursive: true });
    mkdirSync(temp.path('shop', 'live', 'outgoing'), { recursive: true });
    const setup = at(LISTED_AT);
    await setup.addLocalAccount('shop', temp.path('shop'));
    writeFileSync(temp.path('products.csv'), `sku,channel_item_id\nCUSH-RED,${PART_NUMBER}\n`);
    const imported = await setup.run((ctx) => importProducts(ctx, { file: temp.path('products.csv'), strict: false }));
    assert.equal(imported.exitCode, 0);
    let n = 0;
    for (const arrival of ARRIVALS) {
      for (let i = 0; i < arrival.count; i++) {
        n++;
        const name = orderFileName(n);
        const order = orderFile({ order: orderSection(orderNumber(n)), items: [item('1', PART_NUMBER, '1')] });
        writeFileSync(join(incoming, name), order);
        writeFileSync(join(incoming, `${name}.DONE`), '');
      }
      const downloads = at(arrival.now);
      const run = await downloads.run((ctx) => downloadOrders(ctx, {}), { account: 'shop' });
      assert.deepEqual([run.exitCode, downloads.warnings], [0, []]);
    }
  });
  after(() => temp.remove());

  it('lists the first 50 orders to a person, then how many more there are', async () => {
    const run = await cli(['orders', 'list']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, [HEADER, ...ROWS.slice(0, 50), more(9)].join('\n') + '\n');
  });

  it('lists every order as JSON unless a limit is given', async () => {
    // The CLI decides that JSON is not cut at 50: through the binary.
    const all = await cli(['orders', 'list', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(
      all.json<{ order_number: string }[]>().map((order) => order.order_number),
      Array.from({ length: TOTAL }, (_, i) => orderNumber(i + 1)),
    );
    assert.deepEqual(await listedNumbers({ limit: 3 }), [orderNumber(1), orderNumber(2), orderNumber(3)]);
  });

  it('--since a date starts at midnight London time; --since a time starts at that instant', async () => {
    assert.deepEqual(
      await listedNumbers({ since: '2026-03-31' }),
      Array.from({ length: 56 }, (_, i) => orderNumber(i + 4)),
    );

    const fromInstant = await listedNumbers({ since: '2026-03-31T00:00:00Z' });
    assert.equal(fromInstant[0], orderNumber(5));
    assert.equal(fromInstant.length, 55);

    assert.equal((await listedNumbers({ since: '2026-03-28' })).length, TOTAL);
    assert.equal((await listedNumbers({ since: '2026-03-28T12:00:01+00:00' }))[0], orderNumber(4));
  });

  it('--since and --limit together, and a window with nothing in it', async () => {
    const run = await cli(['orders', 'list', '--since', '2026-03-31', '--limit', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, [HEADER, ROWS[3], ROWS[4], more(54)].join('\n') + '\n');

    const one = await cli(['orders', 'list', '--since', '2026-03-30', '--limit', '55']);
    assert.equal(one.stdout, [HEADER, ...ROWS.slice(3, 58), more(1)].join('\n') + '\n');

    const none = await cli(['orders', 'list', '--since', '2026-04-01']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'no orders\n');
  });

  it('refuses a date that is not one and a limit that is not a positive whole number (exit 2)', async () => {
    const badDate = await cli(['orders', 'list', '--since', '2026-02-30']);
    assertUsageError(
      badDate,
      'jl-edge orders list: --since 2026-02-30: give a date (2026-03-01, London time) or a time with its zone (2026-03-01T09:00:00Z)\n',
    );
    const noZone = await cli(['orders', 'list', '--since', '2026-03-01T09:00']);
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /--since 2026-03-01T09:00: give a date/);

    const badLimit = await cli(['orders', 'list', '--limit', '0']);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /"0" is not a positive whole number/);
    assert.equal(badLimit.stdout, '');
  });
});
