/**
 * export-orders (SPEC §5.8) through the binary: acknowledged orders to a local folder and to an SFTP
 * destination on the real sshd, exactly once per destination, across crashes, with cancellations after export.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';
import { INCOMING, type EdgeWorld } from '../fixtures/orders/edge-world.js';
import { LATER, acknowledged, ok, useEdgeWorld } from '../fixtures/shipments/orders-out.js';
import { tempDir } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { sftpDestination } from '../fixtures/warehouse.js';

const HEADER =
  'account,order_number,supplier_ref,order_date,line_ref,part_number,sku,description,quantity,unit_price,line_total,' +
  'promised_date,expected_delivery_date,shipping_title,shipping_full_name,shipping_address_1,shipping_address_2,' +
  'shipping_address_3,shipping_city,shipping_postcode,shipping_country,shipping_phone,shipping_email,comments\n';

/** Two lines, delivery details with a comma (quoted) and a promised date. */
function deliveryOrder(orderNumber: string): Buffer {
  return orderFile({
    order: orderSection(orderNumber, {
      shipping_full_name: 'Ann Smith',
      shipping_address_1: '1 High Street, Flat 2',
      shipping_city: 'Leeds',
      shipping_postcode: 'LS1 1AA',
      shipping_country: 'GB',
      expected_delivery_date: '2026-03-05',
    }),
    items: [
      item('1', '11111111', '2', { unit_price: '14.00', total: '28.00', promised_date: '2026-03-04' }),
      item('2', '22222222', '1', { unit_price: '89.00', total: '89.00', promised_date: '2026-03-04' }),
    ],
  });
}

function exportRows(orderNumber: string, supplierRef: string, quantities: [number, number] = [2, 1]): string {
  const delivery = ',2026-03-05,,Ann Smith,"1 High Street, Flat 2",,,Leeds,LS1 1AA,GB,,,\n';
  return (
    `acme,${orderNumber},${supplierRef},2026-03-01T10:14:52,1,11111111,SKU-1,item 1,${quantities[0]},14.00,28.00,2026-03-04${delivery}` +
    `acme,${orderNumber},${supplierRef},2026-03-01T10:14:52,2,22222222,SKU-2,item 2,${quantities[1]},89.00,89.00,2026-03-04${delivery}`
  );
}

const CANCELLATION_HEADER = 'account,order_number,line_ref,part_number,sku,quantity,reason,cancelled_at,status\n';

/** A customer's cancellation request file (with its marker) in The Edge's incoming folder: `[line_ref, quantity]`. */
function putCancelRequest(world: EdgeWorld, sequence: number, orderNumber: string, lines: [string, string][]): void {
  const name = `cancel-20260302090000${String(sequence).padStart(6, '0')}.txt`;
  const content = orderFile({
    order: { order_number: orderNumber, cancel_date: '2026-03-02T09:00:00' },
    items: lines.map(([lineRef, quantity]) => ({ line_ref: lineRef, quantity, reason: 'Changed mind' })),
  });
  writeFileSync(world.local(`${INCOMING}/${name}`), content);
  writeFileSync(world.local(`${INCOMING}/${name}.DONE`), '');
}

/** Every file of a local folder (dot files included) with its text, by name. */
function folder(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => [entry.name, readFileSync(join(dir, entry.name), 'utf8')]),
  );
}

describe(`export-orders${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = useEdgeWorld();
  const out = tempDir('jl-edge-warehouse-');
  let dir = '';
  let run = 0;
  after(() => out.remove());

  /** A fresh warehouse folder and a destination "shed" writing into it. */
  async function localDestination(): Promise<void> {
    dir = out.path(`shed-${++run}`);
    mkdirSync(dir);
    await ok(world(), ['destinations', 'add', 'shed', '--dir', dir]);
  }

  it('writes acknowledged orders to a local folder once, and a re-run exports nothing new', async () => {
    await acknowledged(world(), deliveryOrder('Y100000001'));
    await localDestination();
    const first = await ok(world(), ['export-orders', '--json']);
    assert.deepEqual(first.json(), {
      command: 'export-orders',
      accounts: [
        {
          account: 'acme',
          ok: true,
          exit_code: 0,
          orders: 1,
          cancellations: 0,
          cancel_requests: 0,
          files_written: 1,
          files_waiting: 0,
          errors: [],
          files: [
            {
              destination: 'shed',
              file_name: 'orders-20260302143000000000.csv',
              kind: 'orders',
              orders: ['Y100000001'],
              rows: 2,
              content: HEADER + exportRows('Y100000001', 'JLE-1'),
            },
          ],
        },
      ],
    });
    assert.deepEqual(folder(dir), { 'orders-20260302143000000000.csv': HEADER + exportRows('Y100000001', 'JLE-1') });

    const again = await ok(world(), ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    assert.equal(
      again.stdout,
      'export-orders acme: 0 orders, 0 cancellations, 0 cancel requests, 0 files written, 0 files waiting\n',
    );
    assert.deepEqual(Object.keys(folder(dir)), ['orders-20260302143000000000.csv']);

    const shown = await ok(world(), ['orders', 'show', 'Y100000001', '--json']);
    assert.deepEqual(shown.json<{ exports: unknown }>().exports, [
      {
        destination: 'shed',
        file_name: 'orders-20260302143000000000.csv',
        status: 'written',
        created_at: '2026-03-02T14:30:00.000Z',
        written_at: '2026-03-02T14:30:00.000Z',
      },
    ]);
  });

  it('--dry-run shows the file it would write and writes nothing', async () => {
    await acknowledged(world(), deliveryOrder('Y100000002'));
    await localDestination();
    const dry = await ok(world(), ['export-orders', '--dry-run']);
    assert.equal(
      dry.stdout,
      'export-orders acme: 1 orders, 0 cancellations, 0 cancel requests, 0 files written, 0 files waiting\n' +
        '  shed/orders-20260302143000000000.csv (orders: Y100000002):\n' +
        (HEADER + exportRows('Y100000002', 'JLE-1'))
          .replace(/\n$/, '')
          .split('\n')
          .map((line) => `    ${line}\n`)
          .join('') +
        'dry run: nothing was stored, sent, moved or deleted\n',
    );
    assert.deepEqual(folder(dir), {});
    assert.deepEqual(world().rows('select * from destination_files'), []);
  });

  for (const point of ['export-after-record', 'export-after-write'] as const) {
    it(`a SIGKILL at ${point} leaves exactly one file for the orders after the next run`, async () => {
      await acknowledged(world(), deliveryOrder('Y100000003'));
      await localDestination();
      const killed = await world().cli(['export-orders'], { env: { ...LATER, JL_EDGE_FAULT: point } });
      assert.equal(killed.code, -1, 'the run was killed');
      const afterCrash = folder(dir);
      assert.deepEqual(
        Object.keys(afterCrash),
        point === 'export-after-record' ? [] : ['orders-20260302143000000000.csv'],
      );
      // A later clock: a second file would get a later name.
      await ok(world(), ['export-orders'], { JL_EDGE_NOW: '2026-03-02T16:00:00Z' });
      assert.deepEqual(folder(dir), { 'orders-20260302143000000000.csv': HEADER + exportRows('Y100000003', 'JLE-1') });
      assert.deepEqual(world().rows('select file_name, status, attempts from destination_files'), [
        { file_name: 'orders-20260302143000000000.csv', status: 'written', attempts: 0 },
      ]);
    });
  }

  it('a cancellation recorded after export goes out as its own file; one recorded before is taken off the quantities', async () => {
    await acknowledged(world(), deliveryOrder('Y100000004'));
    await ok(world(), ['orders', 'cancel', 'Y100000004', '--reason', 'Out of stock', '--line', '1:1']);
    await localDestination();
    await ok(world(), ['export-orders']);
    await ok(world(), ['orders', 'cancel', 'Y100000004', '--reason', 'Customer changed mind', '--line', '2'], {
      JL_EDGE_NOW: '2026-03-02T15:00:00Z',
    });
    const second = await ok(world(), ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:05:00Z' });
    assert.equal(
      second.stdout,
      'export-orders acme: 0 orders, 1 cancellations, 0 cancel requests, 1 files written, 0 files waiting\n',
    );
    assert.deepEqual(folder(dir), {
      'orders-20260302143000000000.csv': HEADER + exportRows('Y100000004', 'JLE-1', [1, 1]),
      'cancellations-20260302150500000000.csv':
        CANCELLATION_HEADER +
        'acme,Y100000004,2,22222222,SKU-2,1,Customer changed mind,2026-03-02T15:00:00.000Z,cancelled\n',
    });
    await ok(world(), ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:10:00Z' });
    assert.equal(Object.keys(folder(dir)).length, 2, 'nothing more to write');
  });

  it("a customer's cancellation request goes to the warehouse: held while open, released when rejected", async () => {
    const w = world();
    await acknowledged(w, deliveryOrder('Y100000009'));
    await localDestination();
    await ok(w, ['export-orders']);
    putCancelRequest(w, 1, 'Y100000009', [['2', '1']]);
    await ok(w, ['download-orders'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    const held = await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:05:00Z' });
    assert.equal(
      held.stdout,
      'export-orders acme: 0 orders, 0 cancellations, 1 cancel requests, 1 files written, 0 files waiting\n',
    );
    await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:06:00Z' });
    await ok(w, ['orders', 'reject-cancel', 'Y100000009', '--reason', 'Already packed'], {
      JL_EDGE_NOW: '2026-03-02T15:10:00Z',
    });
    await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:15:00Z' });
    assert.deepEqual(folder(dir), {
      'orders-20260302143000000000.csv': HEADER + exportRows('Y100000009', 'JLE-1'),
      'cancellations-20260302150500000000.csv':
        CANCELLATION_HEADER + 'acme,Y100000009,2,22222222,SKU-2,1,Changed mind,2026-03-02T15:00:00.000Z,requested\n',
      'cancellations-20260302151500000000.csv':
        CANCELLATION_HEADER +
        'acme,Y100000009,2,22222222,SKU-2,1,Changed mind,2026-03-02T15:10:00.000Z,request_rejected\n',
    });
  });

  it('an order exported with a request already open is followed in the same run by the request; acceptance by the cancellation', async () => {
    const w = world();
    await acknowledged(w, deliveryOrder('Y100000010'));
    putCancelRequest(w, 2, 'Y100000010', [['1', '2']]);
    await ok(w, ['download-orders'], { JL_EDGE_NOW: '2026-03-02T14:00:00Z' });
    await localDestination();
    await ok(w, ['export-orders']);
    await ok(w, ['orders', 'accept-cancel', 'Y100000010'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:05:00Z' });
    assert.deepEqual(folder(dir), {
      'orders-20260302143000000000.csv': HEADER + exportRows('Y100000010', 'JLE-1'),
      'cancellations-20260302143000000000.csv':
        CANCELLATION_HEADER + 'acme,Y100000010,1,11111111,SKU-1,2,Changed mind,2026-03-02T14:00:00.000Z,requested\n',
      'cancellations-20260302150500000000.csv':
        CANCELLATION_HEADER + 'acme,Y100000010,1,11111111,SKU-1,2,Changed mind,2026-03-02T15:00:00.000Z,cancelled\n',
    });
  });

  it('an order cancelled in full before export is not exported; --format jsonl writes one object per line', async () => {
    await acknowledged(world(), deliveryOrder('Y100000005'));
    await ok(world(), ['orders', 'cancel', 'Y100000005', '--reason', 'Out of stock']);
    await acknowledged(world(), deliveryOrder('Y100000006'));
    await localDestination();
    await ok(world(), ['export-orders', '--format', 'jsonl']);
    const files = folder(dir);
    assert.deepEqual(Object.keys(files), ['orders-20260302143000000000.jsonl']);
    const rows = files['orders-20260302143000000000.jsonl']
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    assert.deepEqual(
      rows.map((row) => [row.order_number, row.line_ref, row.quantity, row.shipping_address_1]),
      [
        ['Y100000006', '1', '2', '1 High Street, Flat 2'],
        ['Y100000006', '2', '1', '1 High Street, Flat 2'],
      ],
    );
  });

  it('writes to an SFTP destination on the real sshd, pinned among several host keys, no temporary file left', async () => {
    const w = world();
    await acknowledged(w, deliveryOrder('Y100000007'));
    // One pin per key type the server may offer: longer than a short column would hold.
    const pins = [`SHA256:${'A'.repeat(43)}`, `SHA256:${'B'.repeat(43)}`, w.server.hostKeyFingerprint].join(',');
    await ok(w, ['destinations', 'add', 'tpl', ...sftpDestination(w, pins)]);
    await ok(w, ['export-orders']);
    assert.deepEqual(
      [...w.files('/warehouse/orders')].map(([name, bytes]) => [name, bytes.toString('utf8')]),
      [['orders-20260302143000000000.csv', HEADER + exportRows('Y100000007', 'JLE-1')]],
    );
    await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    assert.equal(w.files('/warehouse/orders').size, 1);
  });

  it('an SFTP destination whose host key does not match is refused; the file waits and goes out once fixed', async () => {
    const w = world();
    await acknowledged(w, deliveryOrder('Y100000008'));
    await ok(w, ['destinations', 'add', 'tpl', ...sftpDestination(w, `SHA256:${'A'.repeat(43)}`)]);
    const refused = await w.cli(['export-orders'], { env: LATER });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /destination tpl: host key mismatch/);
    assert.equal(w.files('/warehouse/orders').size, 0);
    const status = await w.cli(['status', '--json']);
    assert.equal(status.code, 1, 'a file that cannot be written needs a person');
    const account = status.json<{
      accounts: { warehouse: { destinations: Record<string, unknown>[] }; attention: string[] }[];
    }>().accounts[0];
    assert.deepEqual(account.warehouse.destinations, [
      {
        destination: 'tpl',
        files_waiting: 1,
        files_failing: 1,
        last_error: account.warehouse.destinations[0].last_error,
        last_file: null,
        last_written_at: null,
      },
    ]);
    assert.match(String(account.warehouse.destinations[0].last_error), /^destination tpl: host key mismatch/);
    assert.ok(
      account.attention.some((reason) => reason.startsWith('1 file(s) for destination tpl could not be written')),
    );
    await ok(w, ['destinations', 'set', 'tpl', '--host-key', w.server.hostKeyFingerprint]);
    const fixed = await ok(w, ['export-orders'], { JL_EDGE_NOW: '2026-03-02T15:00:00Z' });
    assert.equal(
      fixed.stdout,
      'export-orders acme: 0 orders, 0 cancellations, 0 cancel requests, 1 files written, 0 files waiting\n',
    );
    assert.deepEqual([...w.files('/warehouse/orders').keys()], ['orders-20260302143000000000.csv']);
    const human = await w.cli(['status']);
    assert.match(
      human.stdout,
      /\n {2}destination tpl: last orders-20260302143000000000\.csv at 2026-03-02T15:00:00\.000Z; 0 file\(s\) waiting\n/,
    );
  });
});
