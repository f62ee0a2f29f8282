/**
 * Inboxes (SPEC §5.8) through the binary: `import-shipments --from <dir>` and `import-products --from
 * <destination>`, with good, partly bad, unreadable, still-being-written and re-dropped files, and a crash
 * between recording a file and moving it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LATER, acknowledged, ok, threeLineOrder, useEdgeWorld } from '../fixtures/shipments/orders-out.js';
import { updates } from '../fixtures/shipments/results.js';
import { tempDir } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { WAREHOUSE_INBOX, sftpDestination } from '../fixtures/warehouse.js';

const ORDER = 'Y100000001';
const SHIP_HEADER = 'order_number,line_ref,quantity,carrier,tracking_number\n';

/** The inbox folder's files by relative path (sub-folders done/ and failed/ included), with their text. */
function tree(dir: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(files, tree(path, `${prefix}${entry.name}/`));
    else files[`${prefix}${entry.name}`] = readFileSync(path, 'utf8');
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Dropped a minute ago: old enough to be stable, ordered by the given second. */
function drop(dir: string, name: string, content: string | Buffer, second = 0): void {
  const path = join(dir, name);
  writeFileSync(path, content);
  const when = new Date(Date.UTC(2026, 2, 2, 14, 0, second));
  utimesSync(path, when, when);
}

describe('warehouse inboxes', { skip: sshdSkip }, () => {
  const world = useEdgeWorld();
  const temp = tempDir('jl-edge-inbox-');
  let inbox = '';
  let count = 0;

  async function freshInbox(): Promise<void> {
    inbox = temp.path(`inbox-${++count}`);
    mkdirSync(inbox);
    await acknowledged(world(), threeLineOrder(ORDER));
  }

  const collect = (extra: string[] = []) =>
    world().cli(['import-shipments', '--from', inbox, '--settle', '1', ...extra], { env: LATER });

  const shipments = () =>
    updates(world())
      .filter((u) => u.kind === 'shipment')
      .map((u) => [u.tracking_number, u.lines]);

  it('a good file is recorded and moves to done/; a partly bad one keeps its good rows and moves to failed/ with its reasons', async () => {
    await freshInbox();
    drop(inbox, 'a-good.csv', `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n`, 1);
    drop(
      inbox,
      'b-partly-bad.csv',
      `${SHIP_HEADER}${ORDER},2,1,dpd,TRK2\n${ORDER},3,x,dpd,TRK2\n${ORDER},9,1,dpd,TRK2\n`,
      2,
    );
    const run = await collect(['--json']);
    assert.equal(run.code, 1, run.stderr);
    const summary = run.json<{ accounts: Record<string, unknown>[] }>().accounts[0];
    assert.deepEqual(
      [summary.files, summary.processed, summary.failed, summary.duplicates, summary.waiting, summary.rows_rejected],
      [2, 1, 1, 0, 0, 2],
    );
    const reasons =
      'b-partly-bad.csv line 3 column quantity: "x" is not a whole number of units, at least 1\n' +
      `order ${ORDER}: b-partly-bad.csv line 4 column line_ref: order ${ORDER} has no line with line_ref "9" ` +
      '(its lines: 1 (part number 11111111, sku SKU-1), 2 (part number 22222222, sku SKU-2), 3 (part number 33333333, sku SKU-3))\n';
    assert.deepEqual(tree(inbox), {
      'done/a-good.csv': `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n`,
      'failed/b-partly-bad.csv': `${SHIP_HEADER}${ORDER},2,1,dpd,TRK2\n${ORDER},3,x,dpd,TRK2\n${ORDER},9,1,dpd,TRK2\n`,
      'failed/b-partly-bad.csv.errors.txt': reasons,
    });
    assert.deepEqual(shipments(), [
      ['TRK1', '1 x2'],
      ['TRK2', '2 x1'],
    ]);
    // Quiet afterwards: nothing new.
    const again = await collect();
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      again.stdout,
      'import-shipments acme: 0 files, 0 processed, 0 failed, 0 duplicates, 0 waiting, 0 rows rejected\n',
    );
  });

  it('--strict records nothing from a file with a rejected row', async () => {
    await freshInbox();
    drop(inbox, 'strict.csv', `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n${ORDER},3,x,dpd,TRK1\n`);
    const run = await collect(['--strict']);
    assert.equal(run.code, 1);
    assert.deepEqual(shipments(), []);
    assert.deepEqual(Object.keys(tree(inbox)), ['failed/strict.csv', 'failed/strict.csv.errors.txt']);
    assert.match(tree(inbox)['failed/strict.csv.errors.txt'], /--strict: nothing was recorded/);
  });

  it('unreadable files (not UTF-8, binary) move to failed/ with the reason; nothing is recorded', async () => {
    await freshInbox();
    drop(inbox, 'latin1.csv', Buffer.from(`${SHIP_HEADER}${ORDER},1,2,dpd,TRK\u00e9\n`, 'latin1'), 1);
    drop(inbox, 'binary.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08]), 2);
    const run = await collect();
    assert.equal(run.code, 1);
    assert.deepEqual(tree(inbox), {
      'failed/binary.csv': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08]).toString('utf8'),
      'failed/binary.csv.errors.txt': 'binary.csv: not a CSV text file: it holds binary data (NUL bytes)\n',
      'failed/latin1.csv': Buffer.from(`${SHIP_HEADER}${ORDER},1,2,dpd,TRK\u00e9\n`, 'latin1').toString('utf8'),
      'failed/latin1.csv.errors.txt': 'latin1.csv: file is not valid utf-8 text: save it as UTF-8 CSV\n',
    });
    assert.match(run.stderr, /acme import-shipments: binary\.csv: not a CSV text file/);
    assert.deepEqual(shipments(), []);
    assert.deepEqual(
      world().rows("select remote_name, status from inbound_files where flow = 'WarehouseShipments' order by id"),
      [
        { remote_name: 'latin1.csv', status: 'rejected' },
        { remote_name: 'binary.csv', status: 'rejected' },
      ],
    );
  });

  it('a file still being written is left alone until it holds still; one with a .DONE marker is read at once', async () => {
    await freshInbox();
    const growing = join(inbox, 'growing.csv');
    writeFileSync(growing, SHIP_HEADER);
    const writer = setInterval(() => appendFileSync(growing, `${ORDER},1,1,dpd,TRK-G\n`.slice(0, 5)), 100);
    let run;
    try {
      drop(inbox, 'marked.csv', `${SHIP_HEADER}${ORDER},2,1,dpd,TRK-M\n`);
      writeFileSync(join(inbox, 'marked.csv.DONE'), '');
      run = await collect(['--settle', '2', '--json']);
    } finally {
      clearInterval(writer);
    }
    assert.equal(run.code, 0, run.stderr);
    const summary = run.json<{ accounts: { file_reports: { file: string; outcome: string }[] }[] }>().accounts[0];
    assert.deepEqual(
      summary.file_reports.map((f) => [f.file, f.outcome]),
      [
        ['growing.csv', 'waiting'],
        ['marked.csv', 'processed'],
      ],
    );
    assert.deepEqual(Object.keys(tree(inbox)), ['done/marked.csv', 'growing.csv']);
    assert.deepEqual(shipments(), [['TRK-M', '2 x1']]);
  });

  it('the same bytes dropped again are skipped and reported; the same name with new bytes is a new file', async () => {
    await freshInbox();
    const first = `${SHIP_HEADER}${ORDER},1,1,dpd,TRK1\n`;
    drop(inbox, 'ship.csv', first);
    assert.equal((await collect()).code, 0);
    drop(inbox, 'ship.csv', first);
    const duplicate = await collect();
    assert.equal(duplicate.code, 1);
    assert.match(
      duplicate.stderr,
      /ship\.csv: the same name and bytes were processed before: skipped, nothing recorded/,
    );
    const second = `${SHIP_HEADER}${ORDER},1,1,dpd,TRK2\n`;
    drop(inbox, 'ship.csv', second);
    assert.equal((await collect()).code, 0);
    assert.deepEqual(tree(inbox), {
      'done/ship.2.csv': second,
      'done/ship.csv': first,
      'failed/ship.csv': first,
      'failed/ship.csv.errors.txt':
        'ship.csv: the same name and bytes were processed before: skipped, nothing recorded\n',
    });
    assert.deepEqual(shipments(), [
      ['TRK1', '1 x1'],
      ['TRK2', '1 x1'],
    ]);
  });

  it('a SIGKILL between recording a file and moving it: the next run moves it without recording it again', async () => {
    await freshInbox();
    drop(inbox, 'ship.csv', `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n`);
    const killed = await world().cli(['import-shipments', '--from', inbox, '--settle', '1'], {
      env: { ...LATER, JL_EDGE_FAULT: 'inbox-after-record' },
    });
    assert.equal(killed.code, -1);
    assert.deepEqual(Object.keys(tree(inbox)), ['ship.csv']);
    const next = await collect();
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(Object.keys(tree(inbox)), ['done/ship.csv']);
    assert.deepEqual(shipments(), [['TRK1', '1 x2']]);
  });

  it("import-products --from a destination's inbox updates stock from the warehouse's file", async () => {
    await freshInbox();
    await ok(world(), ['destinations', 'add', 'shed', '--dir', temp.path(`out-${count}`), '--inbox', inbox]);
    drop(inbox, 'stock.csv', 'sku,stock\nSKU-1,7\nSKU-2,-1\n');
    const run = await ok(world(), ['import-products', '--from', 'shed', '--settle', '1']);
    assert.equal(
      run.stdout,
      'import-products acme: 1 files, 1 processed, 0 failed, 0 duplicates, 0 waiting, 0 rows rejected\n',
    );
    assert.deepEqual(world().rows('select sku, stock from products order by sku'), [
      { sku: 'SKU-1', stock: 7 },
      { sku: 'SKU-2', stock: -1 },
      { sku: 'SKU-3', stock: 0 },
    ]);
    assert.deepEqual(Object.keys(tree(inbox)), ['done/stock.csv']);
  });

  it("import-shipments --from an SFTP destination's inbox on the real sshd: done/ and failed/ made there", async () => {
    const w = world();
    await acknowledged(w, threeLineOrder(ORDER));
    await ok(w, ['destinations', 'add', 'tpl', ...sftpDestination(w)]);
    const back = w.local(WAREHOUSE_INBOX);
    drop(back, 'good.csv', `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n`, 1);
    drop(back, 'bad.csv', `${SHIP_HEADER}${ORDER},2,0,dpd,TRK2\n`, 2);
    const run = await w.cli(['import-shipments', '--from', 'tpl', '--settle', '1'], { env: LATER });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(tree(back), {
      'done/good.csv': `${SHIP_HEADER}${ORDER},1,2,dpd,TRK1\n`,
      'failed/bad.csv': `${SHIP_HEADER}${ORDER},2,0,dpd,TRK2\n`,
      'failed/bad.csv.errors.txt': 'bad.csv line 2 column quantity: "0" is not a whole number of units, at least 1\n',
    });
    assert.deepEqual(shipments(), [['TRK1', '1 x2']]);
    const status = await w.cli(['status', '--json']);
    assert.deepEqual(
      status.json<{ accounts: { warehouse: { inboxes: unknown[] } }[] }>().accounts[0].warehouse.inboxes,
      [
        {
          inbox: '/warehouse/back',
          step: 'import-shipments',
          last_file_at: '2026-03-02T14:30:00.000Z',
          files_processed: 1,
          files_failed: 1,
          files_waiting: 0,
        },
      ],
    );
  });
});
