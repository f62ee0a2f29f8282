/**
 * `orders list` and `orders show` (SPEC §5.4, §5.7): the views over the database in-process, what the
 * binary prints and its exit codes end to end. The orders are made the way production makes them —
 * download-orders and ack-orders — on local-folder accounts (the SFTP path of those steps has its own tests).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { listOrders, showOrder } from '../../src/commands/orders.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { untouchedLine } from '../fixtures/orders/views.js';

const EXAMPLE = readFileSync(new URL('../fixtures/edge-examples/order-20260301101500123456.txt', import.meta.url));
const ENV = { JL_EDGE_NOW: '2026-03-01T10:15:02Z' };
/** Named to sort after the example file, so the orders are stored in this order. */
const INCOMPLETE_FILE = orderFileName(900002);
const OUTLET_FILE = orderFileName(900003);
const COUNT_MISMATCH = 'There is a mismatch between expected lines and actual read lines within the order file';

describe('orders list and orders show', () => {
  const temp = tempDir('jl-edge-orders-view-');
  const db = temp.path('db.sqlite');
  const cli = (...args: string[]) => runCli([...args, '--db', db], { cwd: temp.dir, env: ENV });
  const jlEdge = inProcess({ db, dir: temp.dir, env: ENV });
  const drop = (account: string, name: string, content: Buffer) => {
    const incoming = temp.path(account, 'live', 'incoming');
    mkdirSync(incoming, { recursive: true });
    mkdirSync(temp.path(account, 'live', 'outgoing'), { recursive: true });
    writeFileSync(join(incoming, name), content);
    writeFileSync(join(incoming, `${name}.DONE`), '');
  };

  before(async () => {
    for (const account of ['shop', 'outlet']) await jlEdge.addLocalAccount(account, temp.path(account));
    const sqlite = new Database(db);
    const shop = (sqlite.prepare('select id from accounts where name = ?').get('shop') as { id: number }).id;
    sqlite
      .prepare('insert into products (account_id, sku, channel_item_id, created_at, updated_at) values (?, ?, ?, ?, ?)')
      .run(shop, 'CUSH-RED', '12345678', ENV.JL_EDGE_NOW, ENV.JL_EDGE_NOW);
    sqlite.close();

    drop('shop', 'order-20260301101500123456.txt', EXAMPLE);
    drop(
      'shop',
      INCOMPLETE_FILE,
      orderFile({ order: orderSection('Y100000002'), items: [item('1', '12345678', '1')], count: 9 }),
    );
    const shopOnly = { account: 'shop' };
    const downloaded = await jlEdge.run((ctx) => downloadOrders(ctx, {}), shopOnly);
    assert.equal(downloaded.exitCode, 1, 'the incomplete order is an item failure');
    assert.equal((await jlEdge.run(ackOrders, shopOnly)).exitCode, 0);
    // The same order number in another account is another order.
    drop('outlet', OUTLET_FILE, orderFile({ order: orderSection('Y100000002'), items: [item('1', '55555555', '4')] }));
    assert.equal((await jlEdge.run((ctx) => downloadOrders(ctx, {}), { account: 'outlet' })).exitCode, 0);
  });
  after(() => temp.remove());

  /** Replaces the times that depend on how long the runs took (the clock is pinned only at the start). */
  const stable = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replace(/"2026-03-01T10:1\d:\d\d\.\d{3}Z"/g, '"<time>"'));

  /** The error of an order line whose part number matches no product of the account. */
  const unmatchedPart = (line: number, partNumber: string, account: string) => ({
    severity: 'low',
    message: `line ${line}: part_number ${partNumber} matches no product of account ${account} (no product has this channel item id)`,
    created_at: '<time>',
  });

  it('lists every order with its lines, errors and updates (the JSON of SPEC §5.7)', async () => {
    const { orders, total } = await jlEdge.run((ctx) => listOrders(ctx, {}));

    assert.equal(total, 3);
    const ackName = orders[0].updates[0].remote_name;
    assert.match(ackName, /^order-20260301101502\d{6}\.ack$/);
    assert.deepEqual(stable(orders), [
      {
        order_number: 'Y100012345',
        account: 'shop',
        status: 'ready_to_ship',
        supplier_ref: 'JLE-1',
        order_date: '2026-03-01T10:14:52',
        test_flag: 'N',
        file: 'order-20260301101500123456.txt',
        created_at: '<time>',
        acknowledged_at: '<time>',
        lines: [untouchedLine('1', '12345678', 'CUSH-RED', 2), untouchedLine('2', '87654321', null, 1)],
        errors: [unmatchedPart(5, '87654321', 'shop')],
        updates: [
          {
            id: 1,
            flow: 'OrderAcknowledge',
            remote_name: ackName,
            status: 'sent',
            attempts: 1,
            last_error: null,
            created_at: '<time>',
            sent_at: '<time>',
          },
        ],
      },
      {
        order_number: 'Y100000002',
        account: 'shop',
        status: 'incomplete',
        supplier_ref: 'JLE-2',
        order_date: '2026-03-01T10:14:52',
        test_flag: 'N',
        file: INCOMPLETE_FILE,
        created_at: '<time>',
        acknowledged_at: null,
        lines: [untouchedLine('1', '12345678', 'CUSH-RED', 1)],
        errors: [{ severity: 'high', message: COUNT_MISMATCH, created_at: '<time>' }],
        updates: [],
      },
      {
        order_number: 'Y100000002',
        account: 'outlet',
        status: 'awaiting_ack',
        supplier_ref: 'JLE-3',
        order_date: '2026-03-01T10:14:52',
        test_flag: 'N',
        file: OUTLET_FILE,
        created_at: '<time>',
        acknowledged_at: null,
        lines: [untouchedLine('1', '55555555', null, 4)],
        errors: [unmatchedPart(4, '55555555', 'outlet')],
        updates: [],
      },
    ]);
  });

  it('lists as a compact table, filtered by status and account', async () => {
    const all = await cli('orders', 'list');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(
      all.stdout,
      [
        'ORDER       ACCOUNT  STATUS         LINES  UNITS  ERRORS      RECEIVED',
        'Y100012345  shop     ready_to_ship  2      3      1 (0 high)  2026-03-01 10:15',
        'Y100000002  shop     incomplete     1      1      1 (1 high)  2026-03-01 10:15',
        'Y100000002  outlet   awaiting_ack   1      4      1 (0 high)  2026-03-01 10:15',
        '',
      ].join('\n'),
    );

    const incomplete = await jlEdge.run((ctx) => listOrders(ctx, { status: 'incomplete' }));
    assert.deepEqual(
      incomplete.orders.map((o) => [o.order_number, o.account]),
      [['Y100000002', 'shop']],
    );
    const outlet = await jlEdge.run((ctx) => listOrders(ctx, {}), { account: 'outlet' });
    assert.deepEqual(
      outlet.orders.map((o) => [o.order_number, o.account]),
      [['Y100000002', 'outlet']],
    );
    const none = await cli('orders', 'list', '--status', 'shipped');
    assert.deepEqual([none.code, none.stdout], [0, 'no orders\n']);
  });

  it('shows one order with its lines, errors and the acknowledgement sent for it', async () => {
    const run = await cli('orders', 'show', 'Y100012345');
    assert.equal(run.code, 0, run.stderr);
    const ackName = /OrderAcknowledge (order-\d{20}\.ack): sent/.exec(run.stdout)?.[1];
    assert.ok(ackName, run.stdout);
    assert.equal(
      run.stdout.replace(/2026-03-01T10:1\d:\d\d\.\d{3}Z/g, '<time>'),
      [
        'Y100012345 (shop): ready_to_ship',
        '  supplier ref JLE-1, ordered 2026-03-01T10:14:52, expected delivery 2026-03-05',
        '  from order-20260301101500123456.txt at <time>, acknowledged <time>',
        '  deliver to: Mr Tom Brown',
        '    12 Orchard Road, Leeds, LS1 4AB, GB',
        '    phone 07700900123, e-mail tom.brown@example.com',
        '  lines:',
        '    1  12345678  CUSH-RED  x2  (2 open)',
        '       Linen cushion cover red; price -, cost 14.00 GBP; promised 2026-03-04T00:00:00',
        '    2  87654321  (unknown product)  x1  (1 open)',
        '       Oak side table; price -, cost 89.00 GBP; promised 2026-03-04T00:00:00',
        '  errors:',
        '    [low] line 5: part_number 87654321 matches no product of account shop (no product has this channel item id)',
        '  updates:',
        `    #1 OrderAcknowledge ${ackName}: sent <time>`,
        '',
      ].join('\n'),
    );

    const incomplete = await jlEdge.run((ctx) => showOrder(ctx, 'Y100000002'), { account: 'shop' });
    assert.deepEqual(
      incomplete.errors.map((e) => e.message),
      [COUNT_MISMATCH],
    );
  });

  it('refuses an ambiguous or unknown order number and an unknown status with exit 2', async () => {
    const ambiguous = await cli('orders', 'show', 'Y100000002');
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /order Y100000002 exists in accounts shop, outlet: choose one with --account/);

    const unknown = await cli('orders', 'show', 'Y999999999', '--account', 'shop');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no order Y999999999 in account "shop"/);

    const badStatus = await cli('orders', 'list', '--status', 'lost');
    assert.equal(badStatus.code, 2);
    assert.match(
      badStatus.stderr,
      /--status lost: not an order status \(one of awaiting_ack, incomplete, ready_to_ship, partially_shipped, shipped, cancelled, dismissed, cancel_requested\)/,
    );
  });
});
