/**
 * SPEC §5.5, the dates John Lewis holds the seller to, through the built binary with a fixed clock
 * (`JL_EDGE_NOW`): `status` (text and --json, exit 1 for late lines and overdue acknowledgements) and
 * `orders list --late / --due-today`. The account exchanges files through a local folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, type CliRun } from '../helpers/cli.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';

/** Today is 2026-03-10 in London. */
const NOW = '2026-03-10T12:00:00.000Z';
const minutesBefore = (minutes: number): string => new Date(Date.parse(NOW) - minutes * 60_000).toISOString();

/**
 * - DUE-TOMORROW Y100000001: promised 2026-03-11 — not flagged (two lines, one later cancelled, unsent);
 * - DUE-TODAY Y100000002: promised 2026-03-10;
 * - LATE-BY-DELIVERY Y100000003: no promised date, expected delivery 2026-03-12 − lead time 3 = 2026-03-09;
 * - SHIPPED-LATE Y100000004: promised 2026-03-08, late until it is shipped;
 * - NOT-ACKNOWLEDGED Y100000005: received 90 minutes ago, never acknowledged (alert after 60);
 * - RECEIVED-RECENTLY Y100000006: received 30 minutes ago, not acknowledged yet — not flagged.
 */
const ORDERS = [
  orderFile({
    order: orderSection('Y100000001', { expected_delivery_date: '2026-03-14' }),
    items: [
      item('1', '10000001', '1', { promised_date: '2026-03-11T00:00:00' }),
      item('2', '10000002', '1', { promised_date: '2026-03-11T00:00:00' }),
    ],
  }),
  orderFile({
    order: orderSection('Y100000002', { expected_delivery_date: '2026-03-13' }),
    items: [item('1', '10000001', '2', { promised_date: '2026-03-10T00:00:00' })],
  }),
  orderFile({
    order: orderSection('Y100000003', { expected_delivery_date: '2026-03-12' }),
    items: [item('1', '10000002', '3', { promised_date: '' })],
  }),
  orderFile({
    order: orderSection('Y100000004', { expected_delivery_date: '2026-03-11' }),
    items: [item('1', '10000001', '1', { promised_date: '2026-03-08T00:00:00' })],
  }),
];
const NOT_ACKNOWLEDGED = orderFile({
  order: orderSection('Y100000005', { expected_delivery_date: '2026-03-20' }),
  items: [item('1', '10000001', '1', { promised_date: '2026-03-17T00:00:00' })],
});
const RECEIVED_RECENTLY = orderFile({
  order: orderSection('Y100000006', { expected_delivery_date: '2026-03-20' }),
  items: [item('1', '10000001', '1', { promised_date: '2026-03-17T00:00:00' })],
});

interface DueLine {
  order_number: string;
  line_ref: string;
  part_number: string;
  sku: string | null;
  open_quantity: number;
  due_date: string;
  due_from: string;
  due: string;
}
interface Status {
  needs_attention: boolean;
  accounts: {
    dates: {
      ack_alert_minutes: number;
      acknowledgements_overdue: { order_number: string; received_at: string; minutes_waiting: number }[];
      lines_late: DueLine[];
      lines_due_today: DueLine[];
      updates_unsent: { kind: string; order_number: string; recorded_at: string; minutes_waiting: number }[];
      oldest_awaiting_ack: { order_number: string; received_at: string } | null;
      oldest_awaiting_dispatch: { order_number: string; received_at: string } | null;
    };
    attention: string[];
  }[];
}

describe('the date watch: status and orders list with a fixed clock', () => {
  const temp = tempDir();
  const db = temp.path('db.sqlite');
  const root = temp.path('edge');
  const cli = (args: string[], at = NOW): Promise<CliRun> =>
    runCli([...args, '--db', db], { cwd: temp.dir, env: { JL_EDGE_NOW: at } });
  const ok = async (args: string[], at?: string): Promise<void> => {
    const run = await cli(args, at);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
  };
  const putOrder = (sequence: number, content: Buffer): void => {
    writeFileSync(`${root}/live/incoming/${orderFileName(sequence)}`, content);
    writeFileSync(`${root}/live/incoming/${orderFileName(sequence)}.DONE`, '');
  };
  const late = (
    orderNumber: string,
    partNumber: string,
    sku: string,
    quantity: number,
    dueDate: string,
    from: string,
  ) => ({
    order_number: orderNumber,
    line_ref: '1',
    part_number: partNumber,
    sku,
    open_quantity: quantity,
    due_date: dueDate,
    due_from: from,
    due: 'late',
  });

  before(async () => {
    for (const folder of ['incoming', 'outgoing', 'inventory/errors'])
      mkdirSync(`${root}/live/${folder}`, { recursive: true });
    await ok(['accounts', 'add', 'shop', '--local-root', root, '--lead-time', '3']);
    // This world runs steps by hand, not from cron: no step is ever stale, so only the dates need a person.
    for (const step of [
      'download-orders',
      'ack-orders',
      'push-stock',
      'send-shipments',
      'send-cancels',
      'send-refunds',
    ])
      await ok(['accounts', 'set-stale-after', 'shop', step, 'never']);
    const products = await runCli(['import-products', '-', '--db', db], {
      cwd: temp.dir,
      input: 'sku,channel_item_id,stock\nCUSHION,10000001,5\nTABLE,10000002,5\n',
    });
    assert.equal(products.code, 0, products.stderr);
    ORDERS.forEach((content, index) => putOrder(index + 1, content));
    await ok(['download-orders'], minutesBefore(180));
    await ok(['ack-orders'], minutesBefore(175));
    putOrder(5, NOT_ACKNOWLEDGED);
    await ok(['download-orders'], minutesBefore(90));
    putOrder(6, RECEIVED_RECENTLY);
    await ok(['download-orders'], minutesBefore(30));
    // Recorded 45 minutes ago and never sent: send-cancels has not run since.
    await ok(['orders', 'cancel', 'Y100000001', '--reason', 'out of stock', '--line', '2'], minutesBefore(45));
  });
  after(() => temp.remove());

  it('status flags the late lines (oldest due first), the overdue acknowledgement and the unsent update, shows the line due today, and exits 1', async () => {
    const run = await cli(['status', '--json']);
    assert.equal(run.code, 1, run.stderr);
    const [account] = run.json<Status>().accounts;
    assert.deepEqual(account!.dates, {
      ack_alert_minutes: 60,
      acknowledgements_overdue: [{ order_number: 'Y100000005', received_at: minutesBefore(90), minutes_waiting: 90 }],
      lines_late: [
        late('Y100000004', '10000001', 'CUSHION', 1, '2026-03-08', 'promised_date'),
        late('Y100000003', '10000002', 'TABLE', 3, '2026-03-09', 'expected_delivery_date'),
      ],
      lines_due_today: [
        { ...late('Y100000002', '10000001', 'CUSHION', 2, '2026-03-10', 'promised_date'), due: 'due_today' },
      ],
      updates_unsent: [
        { kind: 'cancellation', order_number: 'Y100000001', recorded_at: minutesBefore(45), minutes_waiting: 45 },
      ],
      oldest_awaiting_ack: { order_number: 'Y100000005', received_at: minutesBefore(90) },
      oldest_awaiting_dispatch: { order_number: 'Y100000001', received_at: minutesBefore(180) },
    });
    assert.deepEqual(account!.attention, [
      'order Y100000005 has waited 90 minutes for its acknowledgement (alert after 60): is ack-orders running?',
      'order Y100000004 line 1 (CUSHION) is late: 1 unit(s) were due for dispatch on 2026-03-08 (promised_date)',
      'order Y100000003 line 1 (TABLE) is late: 3 unit(s) were due for dispatch on 2026-03-09 (expected_delivery_date)',
      'a cancellation of order Y100000001 recorded 45 minutes ago is not sent yet (jl-edge orders show Y100000001)',
    ]);

    const text = await cli(['status']);
    assert.equal(text.code, 1);
    const lines = text.stdout.split('\n');
    for (const expected of [
      '  dates: 1 acknowledgement(s) overdue, 2 line(s) late, 1 due today, 1 update(s) unsent over 30 minutes',
      '    due today: order Y100000002 line 1 (CUSHION), 2 unit(s) (promised_date)',
      '  ! order Y100000004 line 1 (CUSHION) is late: 1 unit(s) were due for dispatch on 2026-03-08 (promised_date)',
      '  ! order Y100000005 has waited 90 minutes for its acknowledgement (alert after 60): is ack-orders running?',
    ])
      assert.ok(lines.includes(expected), `missing ${JSON.stringify(expected)} in:\n${text.stdout}`);
  });

  it('orders list --late and --due-today list the orders oldest due first with their due date', async () => {
    const lateList = await cli(['orders', 'list', '--late', '--json']);
    assert.equal(lateList.code, 0, lateList.stderr);
    assert.deepEqual(
      lateList
        .json<{ order_number: string; status: string; due_date: string }[]>()
        .map((o) => [o.order_number, o.status, o.due_date]),
      [
        ['Y100000004', 'ready_to_ship', '2026-03-08'],
        ['Y100000003', 'ready_to_ship', '2026-03-09'],
      ],
    );
    const table = await cli(['orders', 'list', '--late']);
    const rows = table.stdout.trimEnd().split('\n');
    assert.match(rows[0]!, /^ORDER +ACCOUNT +STATUS +LINES +UNITS +ERRORS +RECEIVED +DUE$/);
    assert.deepEqual(
      rows.slice(1).map((row) => [row.split(/ +/)[0], row.split(/ +/).at(-1)]),
      [
        ['Y100000004', '2026-03-08'],
        ['Y100000003', '2026-03-09'],
      ],
    );
    const today = await cli(['orders', 'list', '--due-today', '--json']);
    assert.deepEqual(
      today.json<{ order_number: string; due_date: string }[]>().map((o) => [o.order_number, o.due_date]),
      [['Y100000002', '2026-03-10']],
    );
    // Tomorrow, the order due tomorrow is due today and today's is late.
    const tomorrow = await cli(['orders', 'list', '--due-today', '--json'], '2026-03-11T09:00:00.000Z');
    assert.deepEqual(
      tomorrow.json<{ order_number: string }[]>().map((o) => o.order_number),
      ['Y100000001'],
    );
  });

  it('a late line shipped is not flagged any more; with the acknowledgement sent and the update sent, status exits 0', async () => {
    await ok(['orders', 'ship', 'Y100000004', '--carrier', 'dpd', '--tracking', 'T1']);
    await ok(['orders', 'ship', 'Y100000003', '--carrier', 'dpd', '--tracking', 'T2']);
    let run = await cli(['status', '--json']);
    let dates = run.json<Status>().accounts[0]!.dates;
    assert.deepEqual(dates.lines_late, []);
    // Recorded just now: not yet worth a person.
    assert.deepEqual(
      dates.updates_unsent.map((u) => u.order_number),
      ['Y100000001'],
    );
    assert.equal(run.code, 1);

    await ok(['ack-orders']);
    await ok(['send-cancels']);
    run = await cli(['status', '--json']);
    dates = run.json<Status>().accounts[0]!.dates;
    assert.deepEqual(
      [
        dates.acknowledgements_overdue,
        dates.lines_late,
        dates.updates_unsent,
        dates.lines_due_today.map((l) => l.order_number),
      ],
      [[], [], [], ['Y100000002']],
    );
    assert.equal(run.code, 0, JSON.stringify(run.json<Status>().accounts[0]!.attention));
    assert.deepEqual((await cli(['orders', 'list', '--late', '--json'])).json(), []);
  });

  it('the acknowledgement alert follows the account setting', async () => {
    await ok(['accounts', 'set', 'shop', '--ack-alert-minutes', '20']);
    putOrder(7, orderFile({ order: orderSection('Y100000007'), items: [item('1', '10000001', '1')] }));
    await ok(['download-orders'], minutesBefore(25));
    const run = await cli(['status', '--json']);
    assert.equal(run.code, 1);
    assert.deepEqual(run.json<Status>().accounts[0]!.dates.acknowledgements_overdue, [
      { order_number: 'Y100000007', received_at: minutesBefore(25), minutes_waiting: 25 },
    ]);
  });
});
