/**
 * Shipments through the built binary against a real OpenSSH sshd (SPEC §3, §4.4, §5.4, §6.2): recorded
 * with `orders ship` and `import-shipments`, sent by `send-shipments`; the tracking files on the server
 * byte for byte, and the order's quantities and status read back from the SQLite file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { withoutStamps, type CliRun } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { ACCOUNT, OUTGOING } from '../fixtures/orders/edge-world.js';
import {
  LATER,
  byDpd,
  acknowledged,
  downloaded,
  ok,
  threeLineOrder,
  useEdgeWorld,
  waitFor,
} from '../fixtures/shipments/orders-out.js';
import { lineFigures, orderStatus, outboxRows, sentFiles, summaryOf, updates } from '../fixtures/shipments/results.js';

const ORDER = 'Y100000001';
const MIXED_CSV = new URL('../fixtures/shipments/import-mixed.csv', import.meta.url).pathname;
const GROUPED_CSV = readFileSync(new URL('../fixtures/shipments/import-grouped.csv', import.meta.url));
const TRACKING_HEADER =
  'order_number,supplier_ref\nY100000001,JLE-1\nline_ref,part_number,quantity,status,carrier,tracking_number,tracking_url,supplier_dispatch_date,supplier_delivery_date,comment\n';

describe(`shipments against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = useEdgeWorld(['--carrier-map', 'DPD Next Day=dpd,Royal Mail 24=royal-mail']);

  it('ships one line of a three-line order, then the other two: the second tracking file lists all three with full quantities; partially_shipped, then shipped', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));

    // No --date: dispatched today in London; delivery = dispatch + lead time 3 − handling 0.
    const first = await ok(world(), ['orders', 'ship', ORDER, ...byDpd('DPD-1'), '--line', '1', '--json']);
    assert.deepEqual(first.json(), {
      command: 'orders ship',
      recorded: true,
      account: ACCOUNT,
      order_number: ORDER,
      kind: 'shipment',
      update_id: 1,
      lines: [{ line_ref: '1', part_number: '11111111', quantity: 2 }],
      carrier: 'dpd',
      tracking_number: 'DPD-1',
      tracking_url: null,
      dispatch_date: '2026-03-02',
      delivery_date: '2026-03-05',
      reason: null,
      amount: null,
      waiting_for: null,
    });
    assert.equal(orderStatus(world(), ORDER), 'ready_to_ship', 'recorded is not sent: nothing advances yet');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 0, 0, 0],
      ['2', 0, 0, 0],
      ['3', 0, 0, 0],
    ]);

    const firstSend = await ok(world(), ['send-shipments', '--json']);
    assert.deepEqual(
      [summaryOf(firstSend).sent, summaryOf(firstSend).pending, summaryOf(firstSend).waiting],
      [1, 0, 0],
    );
    const [firstFile] = sentFiles(world(), 'tracking-');
    assert.match(firstFile.name, /^tracking-20260302143000\d{6}\.txt$/);
    assert.equal(firstFile.text, `${TRACKING_HEADER}1,11111111,2,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,\n4\n`);
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 2, 0, 0],
      ['2', 0, 0, 0],
      ['3', 0, 0, 0],
    ]);

    // No --line: every unit left. The carrier by the account's own name for it.
    const second = await ok(world(), [
      'orders',
      'ship',
      ORDER,
      '--carrier',
      'royal mail 24',
      '--tracking',
      'RM-2',
      '--tracking-url',
      'https://rm.example/RM-2',
      '--date',
      '2026-03-03',
    ]);
    assert.equal(
      second.stdout,
      `recorded shipment of order ${ORDER} (${ACCOUNT}) as update 2: line 2 x1, line 3 x3 (royal-mail RM-2, dispatched 2026-03-03, delivery 2026-03-06)\nsend-shipments sends it\n`,
    );
    const secondSend = await ok(world(), ['send-shipments']);
    assert.equal(secondSend.stdout, `send-shipments ${ACCOUNT}: 1 sent, 0 failed, 0 pending, 0 waiting\n`);

    const files = sentFiles(world(), 'tracking-');
    assert.equal(files.length, 2);
    assert.equal(files[0].text, firstFile.text, 'the first file is untouched');
    assert.ok(files[1].name > files[0].name);
    assert.equal(
      files[1].text,
      TRACKING_HEADER +
        '1,11111111,2,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,\n' +
        '2,22222222,1,Dispatched,royal-mail,RM-2,https://rm.example/RM-2,2026-03-03,2026-03-06,\n' +
        '3,33333333,3,Dispatched,royal-mail,RM-2,https://rm.example/RM-2,2026-03-03,2026-03-06,\n' +
        '6\n',
    );
    assert.equal(orderStatus(world(), ORDER), 'shipped');
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 2, 0, 0],
      ['2', 1, 0, 0],
      ['3', 3, 0, 0],
    ]);
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.lines, u.outbox_status, u.remote_name]),
      [
        ['shipment', '1 x2', 'sent', files[0].name],
        ['shipment', '2 x1, 3 x3', 'sent', files[1].name],
      ],
    );

    // orders show lists the updates with their files and states.
    const shown = await ok(world(), ['orders', 'show', ORDER, '--json']);
    const view = shown.json<{
      status: string;
      updates: { flow: string; remote_name: string; status: string }[];
      recorded_updates: { kind: string; state: string; file: string | null }[];
    }>();
    assert.equal(view.status, 'shipped');
    assert.deepEqual(
      view.updates.filter((u) => u.flow === 'OrderShipment').map((u) => [u.remote_name, u.status]),
      files.map((f) => [f.name, 'sent']),
    );
    assert.deepEqual(
      view.recorded_updates.map((u) => [u.kind, u.state, u.file]),
      files.map((f) => ['shipment', 'sent', `${OUTGOING}/${f.name}`]),
    );

    // Nothing left: a third run sends nothing, and a shipment of a shipped order is refused.
    const idle = await ok(world(), ['send-shipments', '--json']);
    assert.deepEqual([summaryOf(idle).sent, sentFiles(world(), 'tracking-').length], [0, 2]);
    const refused = await world().cli(['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-3'], {
      env: LATER,
    });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `jl-edge orders ship: order ${ORDER} cannot be shipped: it is already shipped in full\n`,
    );
  });

  it('refuses a shipment the order does not allow (exit 1) or a malformed one (exit 2), saying why, and stores nothing', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await downloaded(world(), threeLineOrder('Y100000002'));
    const ship = (...args: string[]) => world().cli(['orders', 'ship', ...args], { env: LATER });
    const cases: [string[], number, string][] = [
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--line', '1:3'],
        1,
        `order ${ORDER} line 1: 3 cannot be shipped, only 2 can (ordered 2, nothing shipped or cancelled yet)`,
      ],
      [
        ['Y100000002', '--carrier', 'dpd', '--tracking', 'T'],
        1,
        'order Y100000002 cannot be shipped: it is awaiting its acknowledgement; it can ship once ack-orders has sent it',
      ],
      [
        ['Y999999999', '--carrier', 'dpd', '--tracking', 'T'],
        2,
        'no order "Y999999999" (jl-edge orders list shows the stored orders)',
      ],
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--line', '7'],
        2,
        `order ${ORDER} has no line "7" (its lines: 1, 2, 3)`,
      ],
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--line', '1:0.5'],
        2,
        '--line "1:0.5": the quantity must be a whole number of units, at least 1',
      ],
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--date', '2026-02-30'],
        2,
        '--date "2026-02-30": expected a date as yyyy-mm-dd',
      ],
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--date', '2026-03-05', '--delivery-date', '2026-03-04'],
        2,
        'the delivery date 2026-03-04 is before the dispatch date 2026-03-05',
      ],
      [
        [ORDER, '--carrier', 'dpd', '--tracking', 'T', '--tracking-url', 'track.example/T'],
        2,
        '--tracking-url "track.example/T": expected an http:// or https:// address',
      ],
      [
        [ORDER, '--carrier', 'Pigeon Post', '--tracking', 'T'],
        2,
        'unknown carrier "Pigeon Post": use one of The Edge\'s carrier codes (dpd, royal-mail, parcelforce, dhl, yodel, evri, ups, fedex, tnt, dx)' +
          ` or a name in account ${ACCOUNT}'s carrier map (DPD Next Day, Royal Mail 24),` +
          ` or map it: jl-edge accounts set ${ACCOUNT} --carrier-map "DPD Next Day=dpd,Royal Mail 24=royal-mail,Pigeon Post=<code>"`,
      ],
    ];
    for (const [args, code, message] of cases) {
      const run = await ship(...args);
      assert.equal(run.code, code, args.join(' '));
      assert.equal(run.stderr, `jl-edge orders ship: ${message}\n`);
      assert.equal(run.stdout, '');
    }
    const missingTracking = await ship(ORDER, '--carrier', 'dpd');
    assert.equal(missingTracking.code, 2);
    assert.match(missingTracking.stderr, /required option '--tracking <number>' not specified/);
    assert.deepEqual(updates(world()), []);
  });

  it('two recordings of the same units at once: one is stored, the other is refused as over-shipping', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));

    const runs = await Promise.all(
      ['DPD-1', 'DPD-2'].map((tracking) =>
        world().cli(['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', tracking, '--line', '3'], {
          env: LATER,
        }),
      ),
    );

    assert.deepEqual(runs.map((run) => run.code).sort(), [0, 1]);
    assert.match(
      runs.find((run) => run.code === 1)!.stderr,
      /^jl-edge orders ship: order Y100000001 line 3: nothing left to be shipped \(ordered 3: 3 recorded for shipment\)\n$/,
    );
    assert.deepEqual(
      updates(world()).map((u) => u.lines),
      ['3 x3'],
    );
  });

  it('import-shipments with one good row, one unknown order and one over-shipping row: one recorded, two precise errors, exit 1', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));

    const run = await world().cli(['import-shipments', MIXED_CSV, '--json'], { env: LATER });

    assert.equal(run.code, 1);
    const summary = importSummary(run);
    assert.deepEqual([summary.rows, summary.recorded, summary.failed, summary.shipments], [3, 1, 2, 1]);
    assert.deepEqual(summary.errors, [
      {
        file: MIXED_CSV,
        line: 3,
        column: 'order_number',
        message: `no order Y999999999 in account ${ACCOUNT}`,
        order: 'Y999999999',
      },
      {
        file: MIXED_CSV,
        line: 4,
        column: 'quantity',
        message: `order ${ORDER} line 2: 5 cannot be shipped, only 1 can (ordered 1, nothing shipped or cancelled yet)`,
        order: ORDER,
      },
    ]);
    assert.deepEqual(
      updates(world()).map((u) => [
        u.kind,
        u.carrier,
        u.tracking_number,
        u.dispatch_date,
        u.delivery_date,
        u.lines,
        u.outbox_id,
      ]),
      [['shipment', 'dpd', 'DPD-1', '2026-03-02', '2026-03-05', '1 x2', null]],
    );

    const human = await world().cli(['import-shipments', MIXED_CSV], { env: LATER });
    assert.equal(human.code, 1);
    assert.equal(
      human.stdout,
      `import-shipments ${ACCOUNT}: 3 rows, 0 recorded, 3 failed, 0 shipments\n`,
      'the good row is already recorded: shipping it again is over-shipping',
    );
    assert.equal(
      withoutStamps(human.stderr),
      [
        `${ACCOUNT} import-shipments: order ${ORDER}: ${MIXED_CSV} line 2 column quantity: order ${ORDER} line 1: nothing left to be shipped (ordered 2: 2 recorded for shipment)`,
        `${ACCOUNT} import-shipments: order Y999999999: ${MIXED_CSV} line 3 column order_number: no order Y999999999 in account ${ACCOUNT}`,
        `${ACCOUNT} import-shipments: order ${ORDER}: ${MIXED_CSV} line 4 column quantity: order ${ORDER} line 2: 5 cannot be shipped, only 1 can (ordered 1, nothing shipped or cancelled yet)`,
        '',
      ].join('\n'),
    );
    assert.equal(updates(world()).length, 1);
    const runLog = world().rows<{ step: string; outcome: string; exit_code: number }>(
      "select step, outcome, exit_code from runs where step = 'import-shipments' order by id",
    );
    assert.deepEqual(
      runLog.map((r) => [r.outcome, r.exit_code]),
      [
        ['partial', 1],
        ['partial', 1],
      ],
    );
  });

  it('import-shipments from stdin: lenient headers, lines named by sku or part number, one shipment per carrier and tracking number', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));

    const run = await world().cli(['import-shipments', '-', '--json'], { env: LATER, input: GROUPED_CSV });

    assert.equal(run.code, 1);
    const summary = importSummary(run);
    assert.deepEqual([summary.rows, summary.recorded, summary.failed, summary.shipments], [6, 3, 3, 2]);
    assert.deepEqual(summary.errors, [
      {
        file: 'stdin',
        line: 5,
        column: 'Dispatched',
        message: 'dispatch_date "2026-03-04" differs from "2026-03-02" on line 2 for the same shipment (dpd DPD-7)',
        order: ORDER,
      },
      { file: 'stdin', line: 6, column: 'Courier', message: (summary.errors[1] as { message: string }).message },
      { file: 'stdin', line: 7, column: 'Qty', message: '"1.5" is not a whole number of units, at least 1' },
    ]);
    assert.match(
      (summary.errors[1] as { message: string }).message,
      /^unknown carrier "Pigeon Post": use one of The Edge's carrier codes/,
    );
    assert.deepEqual(
      updates(world()).map((u) => [u.carrier, u.tracking_number, u.dispatch_date, u.lines]),
      [
        ['dpd', 'DPD-7', '2026-03-02', '1 x1, 3 x2'],
        ['evri', 'EV-8', '2026-03-03', '1 x1'],
      ],
    );

    await ok(world(), ['send-shipments']);
    const [file] = sentFiles(world(), 'tracking-');
    // Line 1 went out in two shipments: it carries the one that shipped it last.
    assert.equal(
      file.text,
      TRACKING_HEADER +
        '1,11111111,2,Dispatched,evri,EV-8,,2026-03-03,2026-03-06,\n' +
        '3,33333333,2,Dispatched,dpd,DPD-7,,2026-03-02,2026-03-05,\n' +
        '5\n',
    );
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');
  });

  it('dry runs show the shipment and the file it would send, and change nothing', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));

    const dryShip = await ok(world(), ['orders', 'ship', ORDER, ...byDpd('DPD-1'), '--line', '3:1', '--dry-run']);
    assert.equal(
      dryShip.stdout,
      `would record the shipment of order ${ORDER} (${ACCOUNT}): line 3 x1 (dpd DPD-1, dispatched 2026-03-02, delivery 2026-03-05)\ndry run: nothing was stored\n`,
    );
    assert.deepEqual(updates(world()), []);

    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1', '--line', '3:1']);
    const runsBefore = world().rows('select * from runs').length;
    const drySend = await ok(world(), ['send-shipments', '--dry-run']);
    const lines = drySend.stdout.split('\n');
    assert.equal(lines[0], `send-shipments ${ACCOUNT}: 0 sent, 0 failed, 1 pending, 0 waiting`);
    assert.match(
      lines[1],
      /^ {2}\/live\/outgoing\/tracking-20260302143000\d{6}\.txt \(order Y100000001; would be stored and sent; then \/live\/outgoing\/tracking-20260302143000\d{6}\.txt\.DONE\):$/,
    );
    assert.deepEqual(lines.slice(2), [
      '    order_number,supplier_ref',
      '    Y100000001,JLE-1',
      '    line_ref,part_number,quantity,status,carrier,tracking_number,tracking_url,supplier_dispatch_date,supplier_delivery_date,comment',
      '    3,33333333,1,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,',
      '    4',
      'dry run: nothing was stored, sent, moved or deleted',
      '',
    ]);
    assert.deepEqual(sentFiles(world(), 'tracking-'), []);
    assert.deepEqual(
      updates(world()).map((u) => u.outbox_id),
      [null],
    );
    assert.equal(world().rows('select * from runs').length, runsBefore, 'a dry run writes no run-log row');
  });

  it('an upload cut off midway is finished by the next run: one file, one marker, same name, the units counted once', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1', '--line', '1']);
    const expected = `${TRACKING_HEADER}1,11111111,2,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,\n4\n`;

    const cutOff = world().cli(['send-shipments', '--json'], {
      env: { ...LATER, JL_EDGE_FAULT: 'upload-midway:5000' },
    });
    // The sender has written the first half under the final name; drop the connection now.
    const half = Math.floor(Buffer.byteLength(expected) / 2);
    await waitFor(() =>
      [...world().files(OUTGOING).entries()].some(
        ([name, content]) => name.startsWith('tracking-') && content.length === half,
      ),
    );
    world().server.killSessions();
    const failed = await cutOff;

    assert.equal(failed.code, 1);
    assert.deepEqual([summaryOf(failed).sent, summaryOf(failed).pending], [0, 1]);
    assert.match(summaryOf(failed).errors[0].message, /^upload failed \(attempt 1 of 5\), retried on the next run: /);
    const pending = outboxRows(world()).find((row) => row.flow === 'OrderShipment')!;
    assert.deepEqual([pending.status, pending.attempts], ['pending', 1]);
    assert.equal(orderStatus(world(), ORDER), 'ready_to_ship');
    assert.deepEqual(lineFigures(world(), ORDER)[0], ['1', 0, 0, 0]);

    const retried = await ok(world(), ['send-shipments', '--json'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    assert.deepEqual([summaryOf(retried).sent, summaryOf(retried).pending], [1, 0]);
    assert.deepEqual(sentFiles(world(), 'tracking-'), [{ name: pending.remote_name, text: expected }]);
    assert.deepEqual(
      outboxRows(world())
        .filter((row) => row.flow === 'OrderShipment')
        .map((row) => [row.remote_name, row.status, row.attempts]),
      [[pending.remote_name, 'sent', 2]],
    );
    assert.equal(orderStatus(world(), ORDER), 'partially_shipped');
    assert.deepEqual(lineFigures(world(), ORDER)[0], ['1', 2, 0, 0], 'shipped once, not twice');

    const idle = await ok(world(), ['send-shipments', '--json']);
    assert.equal(summaryOf(idle).sent, 0);
    assert.equal(sentFiles(world(), 'tracking-').length, 1);
  });

  it('a run that dies after storing its file and before uploading it: the next run sends that file under the same name', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'DPD-1', '--line', '2']);

    const crashed = await world().cli(['send-shipments'], { env: { ...LATER, JL_EDGE_FAULT: 'after-claim' } });

    assert.equal(crashed.code, -1, 'killed');
    const [stored] = outboxRows(world()).filter((row) => row.flow === 'OrderShipment');
    assert.deepEqual([stored.status, stored.attempts], ['pending', 0]);
    assert.deepEqual(
      updates(world()).map((u) => [u.outbox_id, u.outbox_status]),
      [[stored.id, 'pending']],
      'claimed in the same transaction',
    );
    assert.deepEqual(sentFiles(world(), 'tracking-'), []);

    // Later and on another clock: the file keeps the name and bytes it was stored with.
    const next = await ok(world(), ['send-shipments', '--json'], { JL_EDGE_NOW: '2026-03-03T08:00:00Z' });
    assert.deepEqual([summaryOf(next).sent, summaryOf(next).waiting], [1, 0]);
    assert.deepEqual(sentFiles(world(), 'tracking-'), [
      {
        name: stored.remote_name,
        text: `${TRACKING_HEADER}2,22222222,1,Dispatched,dpd,DPD-1,,2026-03-02,2026-03-05,\n4\n`,
      },
    ]);
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 0, 0, 0],
      ['2', 1, 0, 0],
      ['3', 0, 0, 0],
    ]);
  });
});

/** import-shipments' --json line for the one account. */
function importSummary(run: CliRun) {
  return run.json<{
    accounts: { rows: number; recorded: number; failed: number; shipments: number; errors: unknown[] }[];
  }>().accounts[0];
}
