/**
 * Customer cancellation requests through the built binary against a real OpenSSH sshd (SPEC §3, §4.8,
 * §5.4): request files read by download-orders, stored against their orders, shipments refused (and
 * forced), requests accepted (one cancellation file with exactly the requested units), rejected, or
 * accepted automatically. Files byte for byte, rows from the SQLite file, exit codes and printed output.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { describe, it } from 'node:test';
import { withoutStamps } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { edgeExample, orderFile } from '../fixtures/orders/edge-order.js';
import { ACCOUNT, INCOMING, type EdgeWorld } from '../fixtures/orders/edge-world.js';
import {
  LATER,
  byDpd,
  ORDER_DAY,
  acknowledged,
  ok,
  threeLineOrder,
  useEdgeWorld,
} from '../fixtures/shipments/orders-out.js';
import { lineFigures, orderStatus, sentFiles, updates } from '../fixtures/shipments/results.js';

const ORDER = 'Y100000001';
const EXAMPLE_REQUEST = edgeExample('cancel-20260302090000000001.txt');
const EXAMPLE_ORDER = edgeExample('order-20260301101500123456.txt');
const CANCEL_HEADER = 'order_number,supplier_ref\nY100000001,JLE-1\nline_ref,part_number,quantity,reason,comment\n';
const ME = process.env.SUDO_USER || process.env.USER || process.env.LOGNAME || userInfo().username;

/** `cancel-<token>.txt` for a small sequence number. */
function requestName(sequence: number): string {
  return `cancel-20260302090000${String(sequence).padStart(6, '0')}.txt`;
}

/**
 * A request in the two-section layout: the quantity asked for each line_ref ('' = not part of the
 * request), in line_ref order.
 */
function request(orderNumber: string, lines: Record<string, string>, extra: { count?: number } = {}): Buffer {
  return orderFile({
    order: { order_number: orderNumber, cancel_date: '2026-03-02T09:00:00' },
    items: Object.entries(lines).map(([lineRef, quantity]) => ({
      line_ref: lineRef,
      quantity,
      reason: quantity ? 'Changed mind' : '',
    })),
    count: extra.count,
  });
}

function putFile(world: EdgeWorld, name: string, content: Buffer): void {
  writeFileSync(world.local(`${INCOMING}/${name}`), content);
  writeFileSync(world.local(`${INCOMING}/${name}.DONE`), '');
}

interface RequestRow {
  order_number: string;
  order_id: number | null;
  status: string;
  problem: string | null;
  answered_by: string | null;
  answer: string | null;
  update_id: number | null;
  file: string;
  /** "line_ref xqty[!]" — `!` when the line is not tied to an order line. */
  lines: string;
}

/** `status` attention lines about cancellation requests (other checks, e.g. staleness, are not this file's). */
const aboutRequests = (reason: string): boolean => reason.includes('cancellation request');

function requests(world: EdgeWorld): RequestRow[] {
  return world.rows<RequestRow>(`
    select r.order_number, r.order_id, r.status, r.problem, r.answered_by, r.answer, r.update_id, f.remote_name as file,
           (select group_concat(l.line_ref || ' x' || l.quantity || case when l.line_id is null then '!' else '' end, ', ')
              from cancel_request_lines l where l.request_id = r.id) as lines
      from cancel_requests r join inbound_files f on f.id = r.inbound_file_id order by r.id`);
}

describe('customer cancellation requests against a real SFTP server', { skip: sshdSkip }, () => {
  const world = useEdgeWorld();

  it('a request for a whole order blocks its shipment; accepting it sends one cancellation file with exactly the requested units', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 1: '2', 2: '1', 3: '3' }));
    const download = await ok(world(), ['download-orders']);
    assert.equal(
      download.stdout,
      `download-orders ${ACCOUNT}: 0 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 1 skipped, 1 cancel requests\n`,
    );
    assert.equal(download.stderr, '');
    assert.deepEqual(requests(world()), [
      {
        order_number: ORDER,
        order_id: 1,
        status: 'requested',
        problem: null,
        answered_by: null,
        answer: null,
        update_id: null,
        file: requestName(1),
        lines: '1 x2, 2 x1, 3 x3',
      },
    ]);

    const shown = await ok(world(), ['orders', 'show', ORDER]);
    assert.match(
      shown.stdout,
      new RegExp(
        `\\n  cancellation requests:\\n    ${requestName(1)} received 2026-03-02T14:30:00.000Z: line 1 x2, line 2 x1, line 3 x3: ` +
          `OPEN: answer with jl-edge orders accept-cancel ${ORDER}, or reject-cancel ${ORDER} --reason …\\n`,
      ),
    );
    const listed = await ok(world(), ['orders', 'list', '--status', 'cancel_requested', '--json']);
    assert.deepEqual(
      listed.json<{ order_number: string }[]>().map((order) => order.order_number),
      [ORDER],
    );

    const ship = await world().cli(['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T1', '--line', '2'], {
      env: LATER,
    });
    assert.equal(ship.code, 1);
    assert.equal(
      ship.stderr,
      `jl-edge orders ship: order ${ORDER} line 2: 1 unit(s) are under the customer's open cancellation request, so 1 cannot ship ` +
        `(ordered 1, nothing shipped or cancelled yet, 1 requested for cancellation) — answer it first with ` +
        `\`jl-edge orders accept-cancel ${ORDER}\` or \`jl-edge orders reject-cancel ${ORDER} --reason …\`, ` +
        `or ship anyway with --force, which closes the request as rejected\n`,
    );
    assert.deepEqual(updates(world()), []);

    const accepted = await ok(world(), ['orders', 'accept-cancel', ORDER]);
    assert.equal(
      accepted.stdout,
      `accepted the cancellation request of order ${ORDER} (${ACCOUNT}) from ${requestName(1)}: recorded cancellation update 1: line 1 x2, line 2 x1, line 3 x3 (reason: Changed mind)\nsend-cancels sends it\n`,
    );
    await ok(world(), ['send-cancels']);
    const [file, ...more] = sentFiles(world(), 'cancel-');
    assert.deepEqual(more, []);
    assert.equal(
      file.text,
      `${CANCEL_HEADER}1,11111111,2,Changed mind,\n2,22222222,1,Changed mind,\n3,33333333,3,Changed mind,\n6\n`,
    );
    assert.equal(orderStatus(world(), ORDER), 'cancelled');
    const [row] = requests(world());
    assert.deepEqual([row.status, row.answered_by, row.answer, row.update_id], ['accepted', ME, null, 1]);
    const after = await ok(world(), ['orders', 'list', '--status', 'cancel_requested', '--json']);
    assert.deepEqual(after.json(), []);
  });

  it('a request for part of an order: the line with an empty quantity and the free units still ship; the requested ones only with --force, which rejects the request', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 1: '1', 2: '' }));
    await ok(world(), ['download-orders']);
    assert.equal(requests(world())[0].lines, '1 x1', 'a line whose quantity is empty is not part of the request');

    await ok(world(), ['orders', 'ship', ORDER, ...byDpd('T1'), '--line', '2', '--line', '1:1']);
    const refused = await world().cli(
      ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T2', '--line', '1'],
      {
        env: LATER,
      },
    );
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /line 1: 1 unit\(s\) are under the customer's open cancellation request, so 1 cannot ship/,
    );
    assert.equal(requests(world())[0].status, 'requested');

    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T2', '--line', '1', '--force']);
    const [row] = requests(world());
    assert.deepEqual(
      [row.status, row.answered_by, row.answer],
      ['rejected', `${ME} (orders ship --force)`, 'shipped anyway (--force)'],
    );
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.tracking_number, u.lines]),
      [
        ['shipment', 'T1', '2 x1, 1 x1'],
        ['shipment', 'T2', '1 x1'],
      ],
    );
  });

  it('a request and its order in the same run, the request file first: the request is stored against the order', async () => {
    putFile(world(), requestName(1), request(ORDER, { 3: '2' }));
    world().putOrder('order-20260302100000000001.txt', threeLineOrder(ORDER));
    const dry = await ok(world(), ['download-orders', '--dry-run']);
    assert.match(
      dry.stdout,
      new RegExp(`\\n  ${requestName(1)}: cancellation request would be stored: order ${ORDER}, 3 x2\\n`),
    );
    assert.deepEqual(requests(world()), []);
    const run = await ok(world(), ['download-orders', '--json']);
    const summary = run.json<{ accounts: Record<string, unknown>[] }>().accounts[0];
    assert.deepEqual([summary.downloaded, summary.cancel_requests, summary.errors], [1, 1, []]);
    assert.deepEqual(
      requests(world()).map((r) => [r.order_id, r.status, r.problem, r.lines]),
      [[1, 'requested', null, '3 x2']],
    );
  });

  it('a request for an order not received yet is kept and shown as an error; the run that stores the order applies it', async () => {
    putFile(world(), requestName(1), request(ORDER, { 1: '1' }));
    const first = await world().cli(['download-orders'], { env: ORDER_DAY });
    assert.equal(first.code, 1);
    assert.equal(
      withoutStamps(first.stderr),
      `${ACCOUNT} download-orders: order ${ORDER}: ${requestName(1)}: cancellation request kept: no order ${ORDER} has been received yet: the request is kept and applied when the order arrives\n`,
    );
    assert.deepEqual(
      requests(world()).map((r) => [r.order_id, r.status, r.lines]),
      [[null, 'requested', '1 x1!']],
    );

    world().putOrder('order-20260302100000000001.txt', threeLineOrder(ORDER));
    const second = await ok(world(), ['download-orders'], ORDER_DAY);
    assert.equal(
      second.stdout,
      `download-orders ${ACCOUNT}: 1 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 1 skipped, 0 cancel requests, 1 cancel requests applied\n`,
    );
    assert.deepEqual(
      requests(world()).map((r) => [r.order_id, r.status, r.problem, r.lines]),
      [[1, 'requested', null, '1 x1']],
    );
    await ok(world(), ['ack-orders'], ORDER_DAY);
    const ship = await world().cli(['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T1'], { env: LATER });
    assert.equal(ship.code, 1, 'the applied request blocks the shipment of every unit');
  });

  it('a duplicate request changes nothing and is reported; a request file already read is skipped', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 1: '1' }));
    await ok(world(), ['download-orders']);
    putFile(world(), requestName(2), request(ORDER, { 1: '1' }));
    const run = await world().cli(['download-orders'], { env: LATER });
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      `download-orders ${ACCOUNT}: 0 downloaded, 0 incomplete, 1 duplicates, 0 rejected, 2 skipped, 0 cancel requests\n`,
    );
    assert.equal(
      withoutStamps(run.stderr),
      `${ACCOUNT} download-orders: order ${ORDER}: ${requestName(2)}: duplicate: order ${ORDER}: the same request (1 x1) was already received in ${requestName(1)} (requested); this file changed nothing\n`,
    );
    assert.equal(requests(world()).length, 1);
    assert.deepEqual(
      world().rows('select remote_name, status from inbound_files where flow = ? order by id', 'CancellationRequest'),
      [
        { remote_name: requestName(1), status: 'processed' },
        { remote_name: requestName(2), status: 'duplicate' },
      ],
    );
    const again = await ok(world(), ['download-orders']);
    assert.equal(
      again.stdout,
      `download-orders ${ACCOUNT}: 0 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 3 skipped, 0 cancel requests\n`,
    );
  });

  it('a malformed request is rejected with its file, line and reason, its raw copy kept; the run goes on', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    const broken = request(ORDER, { 1: 'two' });
    putFile(world(), requestName(1), broken);
    putFile(world(), requestName(2), request(ORDER, { 2: '1' }, { count: 9 }));
    putFile(world(), requestName(3), request(ORDER, { 3: '1' }));
    const run = await world().cli(['download-orders'], { env: LATER });
    assert.equal(run.code, 1);
    assert.equal(
      withoutStamps(run.stderr),
      [
        `${ACCOUNT} download-orders: order ${ORDER}: ${requestName(1)} line 4: cancellation request rejected, nothing stored: quantity "two" is not a whole number of units`,
        `${ACCOUNT} download-orders: order ${ORDER}: ${requestName(2)} line 5: cancellation request rejected, nothing stored: There is a mismatch between expected lines and actual read lines within the order file`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      requests(world()).map((r) => [r.file, r.lines]),
      [[requestName(3), '3 x1']],
    );
    const [kept] = world().rows<{ raw: Buffer; status: string; error: string }>(
      'select raw, status, error from inbound_files where remote_name = ?',
      requestName(1),
    );
    assert.deepEqual(kept, {
      raw: broken,
      status: 'rejected',
      error: 'line 4: quantity "two" is not a whole number of units',
    });
  });

  it('reject-cancel closes the request without any file; the units ship again', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 2: '1' }));
    await ok(world(), ['download-orders']);
    const rejected = await ok(world(), ['orders', 'reject-cancel', ORDER, '--reason', 'already with the courier']);
    assert.equal(
      rejected.stdout,
      `rejected the cancellation request of order ${ORDER} (${ACCOUNT}) from ${requestName(1)} (reason: already with the courier); no file is sent, its units may ship\n`,
    );
    const [row] = requests(world());
    assert.deepEqual([row.status, row.answered_by, row.answer], ['rejected', ME, 'already with the courier']);
    await ok(world(), ['send-cancels']);
    assert.deepEqual(sentFiles(world(), 'cancel-'), []);
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T1', '--line', '2']);
    const again = await world().cli(['orders', 'reject-cancel', ORDER, '--reason', 'x'], { env: LATER });
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `jl-edge orders reject-cancel: order ${ORDER} has no open customer cancellation request (jl-edge orders show ${ORDER} lists its requests)\n`,
    );
  });

  it("status lists an open request, and needs a person once it is older than the account's cancel_request_alert_minutes", async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 1: '1' }));
    await ok(world(), ['download-orders']);
    const fresh = await world().cli(['status', '--json'], { env: { JL_EDGE_NOW: '2026-03-02T15:29:59Z' } });
    const [account] = fresh.json<{ accounts: { cancel_requests: unknown[]; attention: string[] }[] }>().accounts;
    assert.deepEqual(account.cancel_requests, [
      {
        order_number: ORDER,
        file: requestName(1),
        received_at: '2026-03-02T14:30:00.000Z',
        open_minutes: 59,
        lines: [{ line_ref: '1', quantity: 1 }],
        problem: null,
      },
    ]);
    assert.deepEqual(account.attention.filter(aboutRequests), []);

    const late = await world().cli(['status'], { env: { JL_EDGE_NOW: '2026-03-02T15:30:00Z' } });
    assert.equal(late.code, 1);
    assert.match(
      late.stdout,
      new RegExp(
        `\\n  cancellation request open for 60 min: order ${ORDER} \\(line 1 x1\\) from ${requestName(1)}\\n(?:[^]*\\n)?` +
          `  ! order ${ORDER}: the customer's cancellation request ${requestName(1)} has been open for 60 minutes: ` +
          `jl-edge orders accept-cancel ${ORDER}, or orders reject-cancel ${ORDER} --reason …\\n`,
      ),
    );
    await ok(world(), ['accounts', 'set', ACCOUNT, '--cancel-request-alert-minutes', '120']);
    const relaxed = await world().cli(['status', '--json'], { env: { JL_EDGE_NOW: '2026-03-02T15:30:00Z' } });
    assert.deepEqual(
      relaxed.json<{ accounts: { attention: string[] }[] }>().accounts[0].attention.filter(aboutRequests),
      [],
    );

    await ok(world(), ['orders', 'accept-cancel', ORDER]);
    const answered = await world().cli(['status', '--json'], { env: { JL_EDGE_NOW: '2026-03-02T18:00:00Z' } });
    assert.deepEqual(answered.json<{ accounts: { cancel_requests: unknown[] }[] }>().accounts[0].cancel_requests, []);
  });

  it('import-shipments refuses rows that ship requested units and records them with --force, rejecting the request', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    putFile(world(), requestName(1), request(ORDER, { 3: '2' }));
    await ok(world(), ['download-orders']);
    const csv = `order_number,line_ref,quantity,carrier,tracking_number\n${ORDER},1,2,dpd,T1\n${ORDER},3,2,dpd,T1\n`;
    const refused = await world().cli(['import-shipments', '-'], { input: csv, env: LATER });
    assert.equal(refused.code, 1);
    assert.match(
      withoutStamps(refused.stderr),
      new RegExp(
        `^${ACCOUNT} import-shipments: .*line 3.*: order ${ORDER} line 3: 2 unit\\(s\\) are under the customer's open cancellation request, so 2 cannot ship .* or ship anyway with import-shipments --force, which closes the request as rejected\\n$`,
      ),
    );
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.lines]),
      [['shipment', '1 x2']],
    );
    assert.equal(requests(world())[0].status, 'requested');

    const forced = await world().cli(['import-shipments', '-', '--force'], {
      input: `order_number,line_ref,quantity,carrier,tracking_number\n${ORDER},3,3,dpd,T2\n`,
      env: LATER,
    });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(
      updates(world()).map((u) => [u.kind, u.tracking_number, u.lines]),
      [
        ['shipment', 'T1', '1 x2'],
        ['shipment', 'T2', '3 x3'],
      ],
    );
    const [row] = requests(world());
    assert.deepEqual(
      [row.status, row.answered_by, row.answer],
      ['rejected', `${ME} (import-shipments --force)`, 'shipped anyway (--force)'],
    );
  });

  it('the example request file: one unit of line 1 of the example order', async () => {
    await acknowledged(world(), EXAMPLE_ORDER);
    putFile(world(), 'cancel-20260302090000000001.txt', EXAMPLE_REQUEST);
    await ok(world(), ['download-orders']);
    assert.deepEqual(
      requests(world()).map((r) => [r.order_number, r.lines, r.problem]),
      [['Y100012345', '1 x1', null]],
    );
  });
});

describe('auto-accepted cancellation requests against a real SFTP server', { skip: sshdSkip }, () => {
  const world = useEdgeWorld(['--auto-accept-cancellations', 'yes']);

  it('with one unit already shipped, only the unshipped units are cancelled and the rest of the request is reported', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    await ok(world(), ['orders', 'ship', ORDER, '--carrier', 'dpd', '--tracking', 'T1', '--line', '1:1']);
    await ok(world(), ['send-shipments']);
    putFile(world(), requestName(1), request(ORDER, { 1: '2', 2: '1' }));
    const run = await world().cli(['download-orders'], { env: LATER });
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      `download-orders ${ACCOUNT}: 0 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 1 skipped, 1 cancel requests, 1 cancel requests accepted\n`,
    );
    assert.equal(
      withoutStamps(run.stderr),
      `${ACCOUNT} download-orders: order ${ORDER}: cancellation request accepted for line 1 x1, line 2 x1 only: line 1: 1 of 2 requested unit(s) not cancelled (ordered 2: 1 shipped)\n`,
    );
    const [row] = requests(world());
    assert.deepEqual(
      [row.status, row.answered_by, row.answer],
      [
        'accepted',
        'download-orders (auto_accept_cancellations)',
        'line 1: 1 of 2 requested unit(s) not cancelled (ordered 2: 1 shipped)',
      ],
    );
    await ok(world(), ['send-cancels']);
    const [file] = sentFiles(world(), 'cancel-');
    assert.equal(file.text, `${CANCEL_HEADER}1,11111111,1,Changed mind,\n2,22222222,1,Changed mind,\n5\n`);
    assert.deepEqual(lineFigures(world(), ORDER), [
      ['1', 1, 1, 0],
      ['2', 0, 1, 0],
      ['3', 0, 0, 0],
    ]);
  });
});
