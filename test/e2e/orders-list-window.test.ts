/**
 * `orders list --since` and `--limit` through the built binary: a large database must not flood a
 * terminal, and a person narrows the listing by when orders arrived. Orders are downloaded on three days
 * around the change to British Summer Time (29 March 2026), so `--since <date>` is checked against
 * London's calendar, not UTC's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
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
  const cli = (args: string[], now = '2026-03-31T12:00:00Z') =>
    runCli([...args, '--db', db], { cwd: temp.dir, env: { JL_EDGE_NOW: now } });
  const listedNumbers = (stdout: string) =>
    (JSON.parse(stdout) as { order_number: string }[]).map((order) => order.order_number);

  before(async () => {
    const incoming = temp.path('shop', 'live', 'incoming');
    mkdirSync(incoming, { recursive: true });
    mkdirSync(temp.path('shop', 'live', 'outgoing'), { recursive: true });
    assert.equal((await cli(['accounts', 'add', 'shop', '--local-root', temp.path('shop')])).code, 0);
    writeFileSync(temp.path('products.csv'), `sku,channel_item_id\nCUSH-RED,${PART_NUMBER}\n`);
    assert.equal((await cli(['import-products', temp.path('products.csv'), '--account', 'shop'])).code, 0);
    let n = 0;
    for (const arrival of ARRIVALS) {
      for (let i = 0; i < arrival.count; i++) {
        n++;
        const name = orderFileName(n);
        const order = orderFile({ order: orderSection(orderNumber(n)), items: [item('1', PART_NUMBER, '1')] });
        writeFileSync(join(incoming, name), order);
        writeFileSync(join(incoming, `${name}.DONE`), '');
      }
      const run = await cli(['download-orders', '--account', 'shop', '--quiet'], arrival.now);
      assert.equal(run.code, 0, run.stderr);
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
    const all = await cli(['orders', 'list', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(
      listedNumbers(all.stdout),
      Array.from({ length: TOTAL }, (_, i) => orderNumber(i + 1)),
    );

    const three = await cli(['orders', 'list', '--json', '--limit', '3']);
    assert.equal(three.code, 0, three.stderr);
    assert.deepEqual(listedNumbers(three.stdout), [orderNumber(1), orderNumber(2), orderNumber(3)]);
  });

  it('--since a date starts at midnight London time; --since a time starts at that instant', async () => {
    const fromDate = await cli(['orders', 'list', '--json', '--since', '2026-03-31']);
    assert.equal(fromDate.code, 0, fromDate.stderr);
    assert.deepEqual(
      listedNumbers(fromDate.stdout),
      Array.from({ length: 56 }, (_, i) => orderNumber(i + 4)),
    );

    const fromInstant = await cli(['orders', 'list', '--json', '--since', '2026-03-31T00:00:00Z']);
    assert.equal(fromInstant.code, 0, fromInstant.stderr);
    assert.equal(listedNumbers(fromInstant.stdout)[0], orderNumber(5));
    assert.equal(listedNumbers(fromInstant.stdout).length, 55);

    const winter = await cli(['orders', 'list', '--json', '--since', '2026-03-28']);
    assert.equal(listedNumbers(winter.stdout).length, TOTAL);
    const fromOffset = await cli(['orders', 'list', '--json', '--since', '2026-03-28T12:00:01+00:00']);
    assert.equal(listedNumbers(fromOffset.stdout)[0], orderNumber(4));
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
    assert.equal(badDate.code, 2);
    assert.equal(
      badDate.stderr,
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
