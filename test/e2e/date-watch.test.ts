/**
 * SPEC §5.5, the dates John Lewis holds the seller to, with a fixed clock (`JL_EDGE_NOW`): `status`
 * (its result in-process; its text and exit 1 for late lines and overdue acknowledgements, and exit 0
 * once all is done, through the built binary) and `orders list --late / --due-today`. The account
 * exchanges files through a local folder; the orders are made in-process by the real steps.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ackOrders } from '../../src/commands/ack-orders.js';
import { setAccount, setAccountStaleAfter } from '../../src/commands/accounts.js';
import { downloadOrders } from '../../src/commands/download-orders.js';
import { importProducts } from '../../src/commands/import-products.js';
import { cancelOrder } from '../../src/commands/orders-cancel.js';
import { shipOrder } from '../../src/commands/orders-ship.js';
import { listOrders } from '../../src/commands/orders.js';
import { sendCancels } from '../../src/commands/send-cancels.js';
import { status } from '../../src/commands/status.js';
import { SYNC_STEPS } from '../../src/core/steps.js';
import type { DueLineView } from '../../src/commands/due-lines.js';
import type { Context } from '../../src/core/context.js';
import type { StepResult } from '../../src/core/step.js';
import { runCli, tempDir, type CliRun } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';

/** `accounts set-stale-after … never` as stored. */
const NEVER_STALE = 0;
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

interface Status {
  needs_attention: boolean;
  accounts: {
    dates: {
      ack_alert_minutes: number;
      acknowledgements_overdue: { order_number: string; received_at: string; minutes_waiting: number }[];
      lines_late: DueLineView[];
      lines_due_today: DueLineView[];
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
  /** Runs a command in-process at `at`. */
  const call = <T>(command: (ctx: Context) => Promise<T>, at = NOW): Promise<T> =>
    inProcess({ db, dir: temp.dir, env: { JL_EDGE_NOW: at } }).run(command);
  /** Runs a step in-process at `at`; it must succeed. */
  const step = async (command: (ctx: Context) => Promise<StepResult>, at?: string): Promise<void> => {
    const result = await call(command, at);
    assert.equal(result.exitCode, 0, JSON.stringify(result.accounts));
  };
  const download = (ctx: Context) => downloadOrders(ctx, {});
  const dates = async (at?: string) => {
    const result = await call(status, at);
    return { needsAttention: result.needs_attention, ...result.accounts[0]! };
  };
  const listed = async (due: 'late' | 'due_today', at?: string) =>
    (await call((ctx) => listOrders(ctx, { due }), at)).orders;
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
    await inProcess({ db, dir: temp.dir }).addLocalAccount('shop', root, { leadTimeDays: 3 });
    // This world runs steps by hand, not from cron: no step is ever stale, so only the dates need a person.
    for (const each of SYNC_STEPS) await call((ctx) => setAccountStaleAfter(ctx, 'shop', each, NEVER_STALE));
    writeFileSync(`${temp.dir}/products.csv`, 'sku,channel_item_id,stock\nCUSHION,10000001,5\nTABLE,10000002,5\n');
    await step((ctx) => importProducts(ctx, { file: `${temp.dir}/products.csv`, strict: false }));
    ORDERS.forEach((content, index) => putOrder(index + 1, content));
    await step(download, minutesBefore(180));
    await step(ackOrders, minutesBefore(175));
    putOrder(5, NOT_ACKNOWLEDGED);
    await step(download, minutesBefore(90));
    putOrder(6, RECEIVED_RECENTLY);
    await step(download, minutesBefore(30));
    // Recorded 45 minutes ago and never sent: send-cancels has not run since.
    await call((ctx) => cancelOrder(ctx, 'Y100000001', { reason: 'out of stock', lines: ['2'] }), minutesBefore(45));
  });
  after(() => temp.remove());

  it('status flags the late lines (oldest due first), the overdue acknowledgement and the unsent update, shows the line due today, and exits 1', async () => {
    const account = await dates();
    assert.equal(account.needsAttention, true);
    assert.deepEqual(account.dates, {
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
    assert.deepEqual(account.attention, [
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
    assert.deepEqual(
      (await listed('late')).map((o) => [o.order_number, o.status, o.due_date]),
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
    assert.deepEqual(
      (await listed('due_today')).map((o) => [o.order_number, o.due_date]),
      [['Y100000002', '2026-03-10']],
    );
    // Tomorrow, the order due tomorrow is due today and today's is late.
    assert.deepEqual(
      (await listed('due_today', '2026-03-11T09:00:00.000Z')).map((o) => o.order_number),
      ['Y100000001'],
    );
  });

  it('a late line shipped is not flagged any more; with the acknowledgement sent and the update sent, status exits 0', async () => {
    await call((ctx) => shipOrder(ctx, 'Y100000004', { carrier: 'dpd', tracking: 'T1', lines: [] }));
    await call((ctx) => shipOrder(ctx, 'Y100000003', { carrier: 'dpd', tracking: 'T2', lines: [] }));
    const shipped = await dates();
    assert.deepEqual(shipped.dates.lines_late, []);
    // Recorded just now: not yet worth a person.
    assert.deepEqual(
      shipped.dates.updates_unsent.map((u) => u.order_number),
      ['Y100000001'],
    );
    assert.equal(shipped.needsAttention, true);

    await step(ackOrders);
    await step(sendCancels);
    const run = await cli(['status', '--json']);
    const settled = run.json<Status>().accounts[0]!.dates;
    assert.deepEqual(
      [
        settled.acknowledgements_overdue,
        settled.lines_late,
        settled.updates_unsent,
        settled.lines_due_today.map((l) => l.order_number),
      ],
      [[], [], [], ['Y100000002']],
    );
    assert.equal(run.code, 0, JSON.stringify(run.json<Status>().accounts[0]!.attention));
    assert.deepEqual(await listed('late'), []);
  });

  it('the acknowledgement alert follows the account setting', async () => {
    await call((ctx) => setAccount(ctx, 'shop', { ackAlertMinutes: 20 }));
    putOrder(7, orderFile({ order: orderSection('Y100000007'), items: [item('1', '10000001', '1')] }));
    await step(download, minutesBefore(25));
    const account = await dates();
    assert.equal(account.needsAttention, true);
    assert.deepEqual(account.dates.acknowledgements_overdue, [
      { order_number: 'Y100000007', received_at: minutesBefore(25), minutes_waiting: 25 },
    ]);
  });
});
