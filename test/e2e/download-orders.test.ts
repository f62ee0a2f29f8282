/**
 * download-orders through the built binary against a real OpenSSH sshd (SPEC §4.2, §6): what is read,
 * what is stored (rows read back from the database), and what is left on the server.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CliRun } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL, TEST_ENGINE } from '../helpers/test-db.js';
import {
  EXAMPLE_FIRST_ITEM,
  EXAMPLE_ORDER_NUMBER,
  item,
  oneUnitOrder,
  orderFile,
  orderFileName,
  orderSection,
} from '../fixtures/orders/edge-order.js';
import { ACCOUNT, EdgeWorld, INCOMING, OUTGOING, waitFor } from '../fixtures/orders/edge-world.js';

const EXAMPLE_FILE = 'order-20260301101500123456.txt';
const EXAMPLE = readFileSync(new URL(`../fixtures/edge-examples/${EXAMPLE_FILE}`, import.meta.url));
/** SPEC §4.2, verbatim. */
const COUNT_MISMATCH = 'There is a mismatch between expected lines and actual read lines within the order file';

interface OrderRow {
  id: number;
  order_number: string;
  status: string;
  inbound_file_id: number;
  test_flag: string | null;
  order_date: string | null;
  fields: string;
}
interface LineRow {
  position: number;
  line_ref: string;
  part_number: string;
  product_id: number | null;
  quantity: number;
  fields: string;
}
interface InboundRow {
  id: number;
  remote_dir: string;
  remote_name: string;
  size: number;
  sha256: string;
  raw: Buffer;
  status: string;
  error: string | null;
  remote_disposal: string | null;
  disposal_target: string | null;
}
interface Summary {
  accounts: {
    account: string;
    exit_code: number;
    downloaded: number;
    incomplete: number;
    duplicates: number;
    rejected: number;
    skipped: number;
    archived?: number;
    deleted?: number;
    errors: { message: string; file?: string; line?: number; order?: string }[];
    not_ready?: string[];
  }[];
}

describe(`download-orders against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  // The part numbers the built files use are products, so only the test about unknown products has one.
  const world = EdgeWorld.perTest((fresh) =>
    fresh.addProducts([
      { sku: 'SKU-1', channelItemId: '11111111' },
      { sku: 'SKU-2', channelItemId: '22222222' },
    ]),
  );

  const download = async (...args: string[]) => {
    const run = await world.cli(['download-orders', '--json', ...args]);
    return { run, summary: run.json<Summary>().accounts[0] };
  };
  const orders = () => world.rows<OrderRow>('select * from orders order by id');
  const lines = (orderId: number) =>
    world.rows<LineRow>('select * from order_lines where order_id = ? order by position', orderId);
  const orderErrors = (orderId: number) =>
    world.rows<{ severity: string; message: string }>(
      'select severity, message from order_errors where order_id = ? order by id',
      orderId,
    );
  const inbound = () => world.rows<InboundRow>('select * from inbound_files order by id');

  it('stores a two-line order with its lines and the raw file, and leaves the remote files in place', async () => {
    world.putOrder(EXAMPLE_FILE, EXAMPLE);
    world.addProducts([
      { sku: 'CUSH-RED', channelItemId: '12345678' },
      { sku: 'OAK-TABLE', channelItemId: '87654321' },
    ]);

    const { run, summary } = await download();

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.deepEqual(
      [summary.downloaded, summary.incomplete, summary.duplicates, summary.rejected, summary.skipped],
      [1, 0, 0, 0, 0],
    );
    const [order] = orders();
    assert.equal(orders().length, 1);
    assert.deepEqual(
      [order.order_number, order.status, order.test_flag, order.order_date],
      [EXAMPLE_ORDER_NUMBER, 'awaiting_ack', 'N', '2026-03-01T10:14:52'],
    );
    assert.equal(JSON.parse(order.fields).shipping_postcode, 'LS1 4AB');
    const stored = lines(order.id);
    const products = world.rows<{ id: number; sku: string }>('select id, sku from products');
    assert.deepEqual(
      stored.map((l) => [l.position, l.line_ref, l.part_number, l.quantity, l.product_id]),
      [
        [1, '1', '12345678', 2, products.find((p) => p.sku === 'CUSH-RED')!.id],
        [2, '2', '87654321', 1, products.find((p) => p.sku === 'OAK-TABLE')!.id],
      ],
    );
    assert.deepEqual(JSON.parse(stored[0].fields), EXAMPLE_FIRST_ITEM);
    assert.deepEqual(orderErrors(order.id), []);
    const [file] = inbound();
    assert.deepEqual(
      [
        file.remote_dir,
        file.remote_name,
        file.size,
        file.status,
        file.error,
        file.remote_disposal,
        order.inbound_file_id,
      ],
      [INCOMING, EXAMPLE_FILE, EXAMPLE.length, 'processed', null, null, file.id],
    );
    assert.deepEqual(file.raw, EXAMPLE);
    assert.match(file.sha256, /^[0-9a-f]{64}$/);
    // SPEC §4.2: the marketplace's server is not ours to tidy.
    assert.deepEqual(
      world.files(INCOMING),
      new Map([
        [EXAMPLE_FILE, EXAMPLE],
        [`${EXAMPLE_FILE}.DONE`, Buffer.alloc(0)],
      ]),
    );
    assert.deepEqual(world.files(OUTGOING), new Map());

    // A cron run with nothing new: silent with --quiet, and still in the run log.
    const quiet = await world.cli(['download-orders', '--quiet']);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, '', '']);
    assert.deepEqual(
      world
        .rows<{ step: string; outcome: string; exit_code: number; counts: string }>(
          'select step, outcome, exit_code, counts from runs order by id',
        )
        .map((r) => [r.step, r.outcome, r.exit_code, JSON.parse(r.counts)]),
      [
        ['download-orders', 'ok', 0, { downloaded: 1, incomplete: 0, duplicates: 0, rejected: 0, skipped: 0 }],
        ['download-orders', 'ok', 0, { downloaded: 0, incomplete: 0, duplicates: 0, rejected: 0, skipped: 1 }],
      ],
    );
  });

  it('stores a one-line order written with pipes, CRLF line endings and a byte-order mark', async () => {
    const content = orderFile({
      order: orderSection('Y100000001'),
      items: [item('1', '11111111', '3')],
      delimiter: '|',
      lineEnding: '\r\n',
      bom: true,
    });
    assert.ok(content.includes('|') && content.includes('\r\n'));
    world.putOrder(orderFileName(1), content);

    const { run, summary } = await download();

    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.downloaded, 1);
    const [order] = orders();
    assert.deepEqual([order.order_number, order.status], ['Y100000001', 'awaiting_ack']);
    assert.deepEqual(JSON.parse(order.fields), {
      order_number: 'Y100000001',
      supplier_ref: '',
      test_flag: 'N',
      order_date: '2026-03-01T10:14:52',
    });
    assert.deepEqual(
      lines(order.id).map((l) => [l.line_ref, l.part_number, l.quantity]),
      [['1', '11111111', 3]],
    );
    assert.deepEqual(inbound()[0].raw, content);
  });

  it('keeps quoted fields holding the delimiter, quotes and line breaks, and an unknown column', async () => {
    const description = 'Cushion, "red"\nsecond line';
    const content = orderFile({
      order: orderSection('Y100000002', { gift_message: 'Happy birthday, "Sam"' }),
      items: [
        item('1', '11111111', '1', { description, colour_code: 'RD-01' }),
        item('2', '22222222', '2', { description: 'plain', colour_code: '' }),
      ],
    });
    world.putOrder(orderFileName(2), content);

    const { run, summary } = await download();

    assert.equal(summary.downloaded, 1, run.stdout);
    assert.equal(summary.incomplete, 0);
    const [order] = orders();
    assert.equal(JSON.parse(order.fields).gift_message, 'Happy birthday, "Sam"');
    const stored = lines(order.id);
    assert.deepEqual(
      stored.map((l) => [l.line_ref, l.part_number, l.quantity]),
      [
        ['1', '11111111', 1],
        ['2', '22222222', 2],
      ],
    );
    assert.deepEqual(JSON.parse(stored[0].fields), {
      line_ref: '1',
      part_number: '11111111',
      quantity: '1',
      description,
      colour_code: 'RD-01',
    });
    assert.deepEqual(
      orderErrors(order.id).filter((e) => e.severity === 'high'),
      [],
    );
  });

  it('stores and keeps for acknowledgement an order whose part number matches no product, with a low error', async () => {
    world.putOrder(
      orderFileName(3),
      orderFile({ order: orderSection('Y100000003'), items: [item('1', '11111111', '1'), item('2', '99999999', '1')] }),
    );

    const { run, summary } = await download();

    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.downloaded, 1);
    const [order] = orders();
    assert.equal(order.status, 'awaiting_ack');
    assert.deepEqual(
      lines(order.id).map((l) => [l.part_number, l.product_id === null]),
      [
        ['11111111', false],
        ['99999999', true],
      ],
    );
    assert.deepEqual(orderErrors(order.id), [
      {
        severity: 'low',
        message: `line 5: part_number 99999999 matches no product of account ${ACCOUNT} (no product has this channel item id)`,
      },
    ]);

    const acked = await world.cli(['ack-orders']);
    assert.equal(acked.code, 0, acked.stderr);
    assert.equal(orders()[0].status, 'ready_to_ship');
  });

  it('reads a file only once its marker exists, on a later run', async () => {
    const name = orderFileName(4);
    const content = oneUnitOrder('Y100000004');
    world.putOrder(name, content, null);

    const first = await download();
    assert.equal(first.run.code, 0, first.run.stderr);
    assert.deepEqual([first.summary.downloaded, first.summary.skipped, first.summary.not_ready], [0, 1, [name]]);
    assert.deepEqual(orders(), []);
    assert.deepEqual(inbound(), []);

    world.putOrder(name, content, 'name.DONE');
    const second = await download();
    assert.deepEqual([second.summary.downloaded, second.summary.skipped], [1, 0]);
    assert.equal(orders()[0].order_number, 'Y100000004');
  });

  it('accepts both marker forms, X.txt.DONE and X.DONE, and ignores files that are not order files', async () => {
    world.putOrder(orderFileName(5), oneUnitOrder('Y100000005'), 'name.DONE');
    world.putOrder(orderFileName(6), oneUnitOrder('Y100000006'), 'stem.DONE');
    const strangers = [
      'readme.txt',
      'order-123.txt',
      'order-20260301101500000007.csv',
      'inventory-20260301101500000001.csv',
      'order-20260301101500000008.txt.DONE',
    ];
    for (const name of strangers)
      world.putOrder(name, orderFile({ order: orderSection('Y100000009'), items: [item('1', '1', '1')] }), 'name.DONE');
    // A folder with an order file's name, even with a marker, is not a file.
    world.mkdirRemote(`${INCOMING}/${orderFileName(10)}`);
    writeFileSync(world.local(`${INCOMING}/${orderFileName(10)}.DONE`), '');

    const { run, summary } = await download();

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.downloaded, summary.skipped], [2, 0]);
    assert.deepEqual(
      orders().map((o) => o.order_number),
      ['Y100000005', 'Y100000006'],
    );
    assert.deepEqual(
      inbound().map((f) => f.remote_name),
      [orderFileName(5), orderFileName(6)],
    );
  });

  it('stores a wrong count line as incomplete with the exact error text, and never acknowledges it', async () => {
    world.putOrder(
      orderFileName(11),
      orderFile({
        order: orderSection('Y100000011'),
        items: [item('1', '11111111', '1'), item('2', '22222222', '1')],
        count: 4,
      }),
    );

    const { run, summary } = await download();

    assert.equal(run.code, 1);
    assert.deepEqual([summary.downloaded, summary.incomplete], [0, 1]);
    assert.match(
      run.stderr,
      new RegExp(`order Y100000011: ${orderFileName(11)} line 6: incomplete, not acknowledged: ${COUNT_MISMATCH}`),
    );
    const [order] = orders();
    assert.equal(order.status, 'incomplete');
    assert.deepEqual(orderErrors(order.id), [{ severity: 'high', message: COUNT_MISMATCH }]);
    assert.equal(lines(order.id).length, 2);
    assert.equal(inbound()[0].status, 'processed');

    const acked = await world.cli(['ack-orders', '--json']);
    assert.equal(acked.code, 0, acked.stderr);
    assert.equal(acked.json<{ accounts: { sent: number }[] }>().accounts[0].sent, 0);
    assert.deepEqual(world.rows('select * from outbox'), []);
    assert.deepEqual(world.files(OUTGOING), new Map());
    assert.equal(orders()[0].status, 'incomplete');
  });

  it('stores a missing count line and a non-numeric quantity as incomplete orders with precise errors', async () => {
    world.putOrder(
      orderFileName(12),
      orderFile({ order: orderSection('Y100000012'), items: [item('1', '11111111', '1')], count: null }),
    );
    world.putOrder(
      orderFileName(13),
      orderFile({ order: orderSection('Y100000013'), items: [item('1', '11111111', 'two')] }),
    );

    const { run, summary } = await download();

    assert.equal(run.code, 1);
    assert.equal(summary.incomplete, 2);
    const [missingCount, badQuantity] = orders();
    assert.equal(missingCount.status, 'incomplete');
    assert.deepEqual(orderErrors(missingCount.id), [
      { severity: 'high', message: 'missing count line: the last line should hold the number of lines before it' },
    ]);
    assert.equal(badQuantity.status, 'incomplete');
    assert.deepEqual(orderErrors(badQuantity.id), [
      { severity: 'high', message: 'line 4: quantity "two" is not a whole number' },
    ]);
    assert.deepEqual(
      lines(badQuantity.id).map((l) => [l.quantity, JSON.parse(l.fields).quantity]),
      [[0, 'two']],
    );
    assert.match(
      run.stderr,
      new RegExp(
        `order Y100000013: ${orderFileName(13)} line 4: incomplete, not acknowledged: quantity "two" is not a whole number`,
      ),
    );
  });

  it('rejects an empty file, and reads a file not valid in the account encoding as windows-1252 with a note', async () => {
    const latin1 = orderFile({
      order: orderSection('Y100000015', { comments: 'Price £5' }),
      items: [item('1', '11111111', '1')],
      encoding: 'latin1',
    });
    world.putOrder(orderFileName(14), Buffer.alloc(0));
    world.putOrder(orderFileName(15), latin1);

    const { run, summary } = await download();

    assert.equal(run.code, 1);
    assert.deepEqual([summary.downloaded, summary.rejected], [1, 1]);
    const note =
      "file is not valid utf-8 text: read as windows-1252; check accented names and addresses (the account's encoding may need changing)";
    assert.deepEqual(
      orders().map((o) => [o.order_number, o.status, JSON.parse(o.fields).comments]),
      [['Y100000015', 'awaiting_ack', 'Price £5']],
    );
    assert.deepEqual(orderErrors(orders()[0].id), [{ severity: 'low', message: note }]);
    assert.deepEqual(
      inbound().map((f) => [f.remote_name, f.status, f.error, f.raw.length]),
      [
        [orderFileName(14), 'rejected', 'file is empty', 0],
        [orderFileName(15), 'processed', null, latin1.length],
      ],
    );
    assert.match(run.stderr, new RegExp(`${orderFileName(14)}: rejected, no order stored: file is empty`));
    assert.ok(run.stdout.includes(`"message": "note: ${note}"`), run.stdout);

    // Once the account's encoding is set right, a file in that encoding reads without a note.
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--encoding', 'latin1'])).code, 0);
    world.putOrder(
      orderFileName(16),
      orderFile({
        order: orderSection('Y100000016', { comments: 'Price £5' }),
        items: [item('1', '11111111', '1')],
        encoding: 'latin1',
      }),
    );
    const again = await download();
    assert.deepEqual([again.summary.downloaded, again.summary.skipped], [1, 2]);
    assert.equal(JSON.parse(orders()[1].fields).comments, 'Price £5');
    assert.deepEqual(orderErrors(orders()[1].id), []);
  });

  it('records a second file with a stored order number as a duplicate and leaves the order untouched', async () => {
    world.putOrder(orderFileName(17), oneUnitOrder('Y100000017'));
    await download();
    const before = { orders: orders(), lines: lines(orders()[0].id) };
    const second = orderFile({
      order: orderSection('Y100000017'),
      items: [item('1', '11111111', '5'), item('2', '22222222', '1')],
    });
    world.putOrder(orderFileName(18), second);

    const { run, summary } = await download();

    assert.equal(run.code, 1);
    assert.deepEqual([summary.downloaded, summary.duplicates, summary.skipped], [0, 1, 1]);
    const message = `order Y100000017 is already stored from ${orderFileName(17)} (status awaiting_ack); this file changed nothing`;
    assert.match(
      run.stderr,
      new RegExp(`order Y100000017: ${orderFileName(18)}: duplicate: ${message.replace(/[()]/g, '\\$&')}`),
    );
    assert.deepEqual(orders(), before.orders);
    assert.deepEqual(lines(before.orders[0].id), before.lines);
    assert.deepEqual(
      inbound().map((f) => [f.remote_name, f.status, f.error]),
      [
        [orderFileName(17), 'processed', null],
        [orderFileName(18), 'duplicate', message],
      ],
    );
    assert.deepEqual(inbound()[1].raw, second);
  });

  it('processes a file once however often it is listed: again on later runs, or with both markers', async () => {
    world.putOrder(orderFileName(19), oneUnitOrder('Y100000019'), 'name.DONE');
    world.putOrder(orderFileName(19), oneUnitOrder('Y100000019'), 'stem.DONE');

    const first = await download();
    const second = await download();
    const third = await download();

    assert.deepEqual([first.summary.downloaded, first.summary.skipped], [1, 0]);
    assert.deepEqual([second.summary.downloaded, second.summary.skipped, second.run.code], [0, 1, 0]);
    assert.deepEqual([third.summary.downloaded, third.summary.skipped, third.run.code], [0, 1, 0]);
    assert.equal(orders().length, 1);
    assert.equal(inbound().length, 1);
  });

  it('finishes the archiving after being killed between the commit and the move, without storing the order twice', async () => {
    const content = oneUnitOrder('Y100000020');
    world.putOrder(orderFileName(20), content, 'stem.DONE');
    world.mkdirRemote('/live/archive');

    const killed = await world.cli(['download-orders', '--archive-to', '/live/archive'], {
      env: { JL_EDGE_FAULT: 'after-commit' },
    });

    assert.equal(killed.code, -1, 'the fault hook kills the process');
    assert.equal(orders().length, 1);
    assert.deepEqual(
      inbound().map((f) => [f.status, f.remote_disposal, f.disposal_target]),
      [['processed', 'pending', '/live/archive']],
    );
    assert.deepEqual(
      [...world.files(INCOMING).keys()],
      [orderFileName(20).replace(/\.txt$/, '.DONE'), orderFileName(20)],
    );

    const { run, summary } = await download('--archive-to', '/live/archive');

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([summary.downloaded, summary.duplicates, summary.skipped, summary.archived], [0, 0, 0, 1]);
    assert.equal(orders().length, 1);
    assert.deepEqual(
      inbound().map((f) => [f.status, f.remote_disposal]),
      [['processed', 'done']],
    );
    assert.deepEqual(world.files(INCOMING), new Map());
    assert.deepEqual(
      world.files('/live/archive'),
      new Map([
        [orderFileName(20).replace(/\.txt$/, '.DONE'), Buffer.alloc(0)],
        [orderFileName(20), content],
      ]),
    );
  });

  it('deletes stored files and their markers with --delete, also those stored by an earlier run, keeping the raw files', async () => {
    const content = oneUnitOrder('Y100000021');
    world.putOrder(orderFileName(21), content);
    assert.equal((await download()).summary.downloaded, 1);
    world.putOrder(orderFileName(22), Buffer.alloc(0));
    world.putOrder(orderFileName(23), content, null);

    const { summary } = await download('--delete');

    assert.deepEqual([summary.downloaded, summary.rejected, summary.skipped, summary.deleted], [0, 1, 2, 2]);
    assert.deepEqual([...world.files(INCOMING).keys()], [orderFileName(23)]);
    assert.deepEqual(
      inbound().map((f) => [f.remote_name, f.remote_disposal, f.raw.length]),
      [
        [orderFileName(21), 'done', content.length],
        [orderFileName(22), 'done', 0],
      ],
    );
    assert.equal(orders().length, 1);
  });

  it('shows with --dry-run what it would store, and changes nothing', async () => {
    world.putOrder(orderFileName(24), oneUnitOrder('Y100000024'));
    world.putOrder(orderFileName(25), oneUnitOrder('Y100000024'));
    const remoteBefore = world.files(INCOMING);

    const run = await world.cli(['download-orders', '--dry-run', '--delete']);

    assert.equal(run.code, 1, 'the duplicate is reported');
    assert.match(run.stdout, new RegExp(`${orderFileName(24)}: would be downloaded: order Y100000024, 1 line\\(s\\)`));
    assert.match(run.stdout, new RegExp(`${orderFileName(25)}: would be duplicate: order Y100000024`));
    assert.match(run.stdout, /dry run: nothing was stored, sent, moved or deleted/);
    assert.deepEqual(orders(), []);
    assert.deepEqual(inbound(), []);
    assert.deepEqual(world.rows('select * from runs'), []);
    assert.deepEqual(world.files(INCOMING), remoteBefore);
  });

  it('stores sixty files of one run in listing order; a second file of an order number read in the same run is its duplicate', async () => {
    const numberOf = (n: number): string => `Y200000${n === 105 ? 102 : n}`;
    for (let n = 100; n < 160; n++) {
      world.putOrder(
        orderFileName(n),
        orderFile({
          order: orderSection(numberOf(n)),
          items: [item('1', '11111111', String(1 + (n % 3))), item('2', '22222222', '1')],
        }),
      );
    }

    const { run, summary } = await download();

    assert.equal(run.code, 1, 'the duplicate is reported');
    assert.deepEqual([summary.downloaded, summary.duplicates, summary.rejected, summary.skipped], [59, 1, 0, 0]);
    const files = inbound();
    assert.deepEqual(
      files.map((f) => f.remote_name),
      Array.from({ length: 60 }, (_, i) => orderFileName(100 + i)),
    );
    const duplicate = `order Y200000102 is already stored from ${orderFileName(102)} (status awaiting_ack); this file changed nothing`;
    assert.deepEqual(
      files.map((f) => [f.status, f.error]).filter(([status]) => status !== 'processed'),
      [['duplicate', duplicate]],
    );
    assert.equal(files[5].remote_name, orderFileName(105));
    const stored = orders();
    assert.equal(stored.length, 59);
    for (const order of stored) {
      const file = files.find((f) => f.id === order.inbound_file_id)!;
      const n = Number(file.remote_name.slice(-7, -4));
      assert.equal(order.order_number, numberOf(n));
      assert.deepEqual(
        lines(order.id).map((l) => [l.line_ref, l.quantity]),
        [
          ['1', 1 + (n % 3)],
          ['2', 1],
        ],
      );
    }
  });

  it('logs a file whose order the database refuses as rejected with the reason, and stores the files read with it', async () => {
    for (let n = 200; n < 204; n++) world.putOrder(orderFileName(n), oneUnitOrder(`Y300000${n}`));
    world.script(
      TEST_ENGINE === 'postgres'
        ? `create function refuse_one() returns trigger language plpgsql as $$ begin
             if new.order_number = 'Y300000202' then raise exception 'refused by a test trigger'; end if;
             return new; end $$;
           create trigger refuse_one before insert on orders for each row execute function refuse_one();`
        : `create trigger refuse_one before insert on orders when new.order_number = 'Y300000202' begin select raise(abort, 'refused by a test trigger'); end`,
    );

    const { run, summary } = await download();

    assert.equal(run.code, 1);
    assert.deepEqual([summary.downloaded, summary.rejected], [3, 1]);
    assert.deepEqual(
      orders().map((o) => o.order_number),
      ['Y300000200', 'Y300000201', 'Y300000203'],
    );
    const files = inbound();
    assert.deepEqual(
      files.map((f) => [f.remote_name, f.status]),
      [
        [orderFileName(200), 'processed'],
        [orderFileName(201), 'processed'],
        [orderFileName(202), 'rejected'],
        [orderFileName(203), 'processed'],
      ],
    );
    assert.match(files[2].error ?? '', /^could not store the order: .*refused by a test trigger$/);
    assert.ok(
      !(files[2].error ?? '').includes('Y300000202'),
      "the order's values stay out of the message, only the statement is named",
    );
    assert.deepEqual(
      files.map((f) => f.error === null),
      [true, true, false, true],
    );
    assert.match(
      summary.errors.map((e) => `${e.file}: ${e.message}`).join('\n'),
      new RegExp(
        `${orderFileName(202)}: rejected, no order stored: could not store the order: .*refused by a test trigger`,
      ),
    );
  });

  it('lets only one of two runs started together for one account work; the other exits 75 naming the holder', async () => {
    world.putOrder(orderFileName(26), oneUnitOrder('Y100000026'));

    const slow = world.cli(['download-orders'], { env: { JL_EDGE_FAULT: 'pause-after-lock:4000' } });
    let firstEnded: CliRun | null = null;
    void slow.then((run) => (firstEnded = run));
    await waitFor(
      () => firstEnded !== null || world.rows('select * from locks where step = ?', 'download-orders').length === 1,
    );
    assert.equal(firstEnded, null, 'the first run must still hold the lock');
    const second = await world.cli(['download-orders']);
    const first = await slow;

    assert.equal(second.code, 75);
    assert.match(
      second.stderr,
      /acme download-orders: download-orders for account "acme" is already running: held by pid \d+ on /,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(orders().length, 1);
    assert.deepEqual(
      world
        .rows<{ outcome: string; exit_code: number }>('select outcome, exit_code from runs order by id')
        .map((r) => [r.outcome, r.exit_code])
        .sort(),
      [
        ['locked', 75],
        ['ok', 0],
      ],
    );
  });
});
