/**
 * push-stock through the built binary against a real OpenSSH sshd (SPEC §4.6–4.7, §6): the inventory
 * file as uploaded (byte for byte, read from the server's jail), what the database records per product,
 * the stock error files, and uploads that die midway.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, type CliRun } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL, TEST_ENGINE } from '../helpers/test-db.js';
import { ACCOUNT, EdgeWorld, waitFor } from '../fixtures/orders/edge-world.js';

const INVENTORY = '/live/inventory';
const ERRORS = '/live/inventory/errors';
/** Pins the clock: every file name token starts with this date and hour (the clock runs on from here). */
const NOW = '2026-03-01T10:15:00.000Z';
const TOKEN_PREFIX = '2026030110';
const HEADER = 'part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock\n';

interface Product {
  sku: string;
  channel_item_id: string | null;
  ean: string | null;
  lead_time_days: number | null;
  stock: number;
}

/** The small catalogue: own lead time, negative stock, no channel item id, a long SKU, a SKU with a comma. */
const CATALOGUE: Product[] = [
  { sku: 'SKU-PLAIN', channel_item_id: '11111111', ean: '5000000000011', lead_time_days: null, stock: 7 },
  { sku: 'SKU-OWN-LEAD', channel_item_id: '22222222', ean: '5000000000028', lead_time_days: 9, stock: 4 },
  { sku: 'SKU-NEGATIVE', channel_item_id: '33333333', ean: null, lead_time_days: null, stock: -5 },
  { sku: 'SKU-UNLISTED', channel_item_id: null, ean: '5000000000042', lead_time_days: null, stock: 12 },
  {
    sku: 'SKU-WITH-A-VERY-LONG-CODE-1',
    channel_item_id: '44444444',
    ean: '5000000000059',
    lead_time_days: null,
    stock: 0,
  },
  { sku: 'SKU,COMMA', channel_item_id: '55555555', ean: null, lead_time_days: null, stock: 2 },
];

interface ProductRow extends Product {
  id: number;
  pushed_stock: number | null;
  pushed_lead_time_days: number | null;
  pushed_traded_code: string | null;
  pushed_at: string | null;
  resend: number;
}
interface OutboxRow {
  id: number;
  flow: string;
  remote_dir: string;
  remote_name: string;
  content: Buffer | null;
  size: number;
  sha256: string;
  marker: number;
  status: string;
  row_count: number | null;
  last_error: string | null;
}
interface StockErrorRow {
  product_id: number | null;
  inbound_file_id: number | null;
  part_number: string;
  message: string;
  cleared_at: string | null;
  cleared_by: string | null;
}
interface Summary {
  accounts: {
    account: string;
    exit_code: number;
    sent: number;
    files: number;
    errors_read: number;
    errors: { message: string; file?: string; line?: number }[];
    file?: string | null;
    rows?: Record<string, string | number>[];
  }[];
}

/** Runs push-stock with --json and the pinned clock. */
async function push(
  world: EdgeWorld,
  ...args: string[]
): Promise<{ run: CliRun; summary: Summary['accounts'][number] }> {
  const run = await world.cli(['push-stock', '--json', ...args], { env: { JL_EDGE_NOW: NOW } });
  return { run, summary: run.json<Summary>().accounts[0] };
}

/** Inventory files on the server, oldest first, as text. */
function inventoryFiles(world: EdgeWorld): [string, string][] {
  return [...world.files(INVENTORY)].map(([name, bytes]) => [name, bytes.toString('utf8')]);
}

function products(world: EdgeWorld): ProductRow[] {
  return world.rows<ProductRow>('select * from products order by id');
}

/** Imports products through `import-products`, as the seller's scripts do (a CSV on standard input). */
async function importProducts(world: EdgeWorld, csv: string): Promise<void> {
  const run = await world.cli(['import-products', '-', '--quiet'], { input: csv });
  assert.equal(run.code, 0, run.stderr);
}

const csvField = (value: string | number | null): string =>
  value === null ? '' : /[",]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value);

function catalogueCsv(list: Product[]): string {
  const rows = list.map((p) => [p.sku, p.channel_item_id, p.ean, p.lead_time_days, p.stock].map(csvField).join(','));
  return ['sku,channel_item_id,ean,lead_time_days,stock', ...rows, ''].join('\n');
}

/** New stock levels by SKU through `import-products` with a `sku,stock` file (SPEC §2). */
function importStock(world: EdgeWorld, stockBySku: Record<string, number>): Promise<void> {
  return importProducts(
    world,
    ['sku,stock', ...Object.entries(stockBySku).map(([sku, stock]) => `${csvField(sku)},${stock}`), ''].join('\n'),
  );
}

/** New stock levels written straight into the shared products table, as another system may (SPEC §2). */
function setStockDirectly(world: EdgeWorld, stockBySku: Record<string, number>): void {
  for (const [sku, stock] of Object.entries(stockBySku))
    assert.equal(world.exec('update products set stock = ? where sku = ?', stock, sku), 1);
}

function putErrorFile(world: EdgeWorld, name: string, content: string | Buffer): void {
  writeFileSync(world.local(`${ERRORS}/${name}`), content);
}

const FILE_NAME = new RegExp(`^inventory-${TOKEN_PREFIX}\\d{10}\\.csv$`);

const fileOf = (...lines: string[]): string => HEADER + lines.map((line) => `${line}\n`).join('');

/** The pushed record of every product, by SKU: [stock, lead time, traded code, resend]. */
function pushedBySku(rows: ProductRow[]): Record<string, [number | null, number | null, string | null, number]> {
  return Object.fromEntries(
    rows.map((r) => [r.sku, [r.pushed_stock, r.pushed_lead_time_days, r.pushed_traded_code, r.resend]]),
  );
}

describe(`push-stock against a real SFTP server${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest((fresh) => importProducts(fresh, catalogueCsv(CATALOGUE)));

  it('a full push sends every listed product: traded code empty, own lead times, negative stock as 0, unlisted never', async () => {
    const { run, summary } = await push(world, '--full');

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.deepEqual([summary.sent, summary.files, summary.errors_read, summary.errors], [5, 1, 0, []]);
    const [[name, content], ...others] = inventoryFiles(world);
    assert.deepEqual(others, []);
    assert.match(name, FILE_NAME);
    assert.equal(summary.file, name);
    assert.equal(content, fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'));
    // No .DONE marker for inventory (SPEC §4.6), and nothing else in the folder.
    assert.deepEqual([...world.files(INVENTORY).keys()], [name]);

    const stored = products(world);
    assert.deepEqual(pushedBySku(stored), {
      'SKU-PLAIN': [7, 3, '', 0],
      'SKU-OWN-LEAD': [4, 9, '', 0],
      'SKU-NEGATIVE': [0, 3, '', 0],
      'SKU-UNLISTED': [null, null, null, 0],
      'SKU-WITH-A-VERY-LONG-CODE-1': [0, 3, '', 0],
      'SKU,COMMA': [2, 3, '', 0],
    });
    assert.ok(stored.filter((p) => p.channel_item_id !== null).every((p) => p.pushed_at !== null));
    assert.equal(stored.find((p) => p.sku === 'SKU-UNLISTED')!.pushed_at, null);

    const [outbox] = world.rows<OutboxRow>('select * from outbox');
    assert.deepEqual(
      [
        outbox.flow,
        outbox.remote_dir,
        outbox.remote_name,
        outbox.content,
        outbox.size,
        outbox.marker,
        outbox.status,
        outbox.row_count,
      ],
      ['StockUpdate', INVENTORY, name, null, Buffer.byteLength(content), 0, 'sent', 5],
    );
    const runs = world.rows<{ step: string; outcome: string; exit_code: number; counts: string }>(
      "select * from runs where step = 'push-stock'",
    );
    assert.deepEqual(
      runs.map((r) => [r.outcome, r.exit_code, JSON.parse(r.counts)]),
      [['ok', 0, { sent: 5, files: 1, errors_read: 0 }]],
    );
  });

  it('the traded code follows the account setting: SKU cut to 20 characters and quoted when needed, then EAN', async () => {
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--traded-code', 'sku'])).code, 0);
    const first = await push(world, '--full');
    assert.equal(first.run.code, 0, first.run.stderr);
    assert.equal(
      inventoryFiles(world)[0][1],
      fileOf(
        '11111111,SKU-PLAIN,3,7',
        '22222222,SKU-OWN-LEAD,9,4',
        '33333333,SKU-NEGATIVE,3,0',
        '44444444,SKU-WITH-A-VERY-LONG,3,0',
        '55555555,"SKU,COMMA",3,2',
      ),
    );
    assert.equal(pushedBySku(products(world))['SKU-WITH-A-VERY-LONG-CODE-1'][2], 'SKU-WITH-A-VERY-LONG');

    // A changed traded code is a change: the delta after switching to EAN carries every listed product.
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--traded-code', 'ean'])).code, 0);
    const second = await push(world);
    assert.equal(second.run.code, 0, second.run.stderr);
    const files = inventoryFiles(world);
    assert.equal(files.length, 2);
    assert.ok(files[1][0] > files[0][0], 'file-name tokens keep increasing');
    assert.equal(
      files[1][1],
      fileOf(
        '11111111,5000000000011,3,7',
        '22222222,5000000000028,9,4',
        '33333333,,3,0',
        '44444444,5000000000059,3,0',
        '55555555,,3,2',
      ),
    );
  });

  it('a delta after two stocks changed sends exactly those two rows, and a push with no change sends no file', async () => {
    assert.equal((await push(world, '--full')).run.code, 0);
    await importStock(world, { 'SKU-OWN-LEAD': 40, 'SKU-NEGATIVE': 6, 'SKU-UNLISTED': 99 });

    const delta = await push(world);
    assert.equal(delta.run.code, 0, delta.run.stderr);
    assert.deepEqual([delta.summary.sent, delta.summary.files], [2, 1]);
    const files = inventoryFiles(world);
    assert.equal(files.length, 2);
    assert.equal(files[1][1], fileOf('22222222,,9,40', '33333333,,3,6'));
    assert.deepEqual(pushedBySku(products(world))['SKU-NEGATIVE'], [6, 3, '', 0]);

    // 6 → -2 goes out as 0; then -2 → -7 is still 0 for The Edge, so it is no change.
    await importStock(world, { 'SKU-NEGATIVE': -2 });
    assert.equal((await push(world)).run.code, 0);
    assert.equal(inventoryFiles(world)[2][1], fileOf('33333333,,3,0'));
    await importStock(world, { 'SKU-NEGATIVE': -7 });

    const idle = await push(world);
    assert.equal(idle.run.code, 0, idle.run.stderr);
    assert.equal(idle.run.stderr, '');
    assert.deepEqual([idle.summary.sent, idle.summary.files, idle.summary.file], [0, 0, null]);
    assert.equal(inventoryFiles(world).length, 3);
    assert.equal(world.rows('select * from outbox').length, 3);
    const last = world.rows<{ outcome: string; counts: string }>(
      "select * from runs where step = 'push-stock' order by id desc limit 1",
    )[0];
    assert.deepEqual([last.outcome, JSON.parse(last.counts)], ['ok', { sent: 0, files: 0, errors_read: 0 }]);
  });

  it('a change of the account lead time re-sends the products that use it, and only those', async () => {
    assert.equal((await push(world, '--full')).run.code, 0);
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--lead-time', '5'])).code, 0);
    const delta = await push(world);
    assert.equal(delta.run.code, 0, delta.run.stderr);
    assert.equal(
      inventoryFiles(world)[1][1],
      fileOf('11111111,,5,7', '33333333,,5,0', '44444444,,5,0', '55555555,,5,2'),
    );
  });

  it('a stock error file is stored once, shown, and its product goes out in the same run and stays in error until a later push', async () => {
    assert.equal((await push(world, '--full')).run.code, 0);
    const errorFile = 'inventory-20260301101500000001-errors.csv';
    const errorBytes = readFileSync(new URL(`../fixtures/edge-examples/${errorFile}`, import.meta.url));
    assert.ok(errorBytes.toString().includes('87654321'));
    putErrorFile(world, errorFile, errorBytes.toString().replace('87654321', '22222222'));

    const first = await push(world);
    assert.equal(first.run.code, 0, first.run.stderr);
    assert.deepEqual([first.summary.errors_read, first.summary.sent, first.summary.files], [1, 1, 1]);
    // The product named in the error is re-sent even though nothing about it changed.
    assert.equal(inventoryFiles(world)[1][1], fileOf('22222222,,9,4'));

    const [inbound] = world.rows<{
      id: number;
      flow: string;
      remote_dir: string;
      remote_name: string;
      raw: Buffer;
      status: string;
      error: string | null;
    }>('select * from inbound_files');
    assert.deepEqual(
      [inbound.flow, inbound.remote_dir, inbound.remote_name, inbound.raw.toString(), inbound.status, inbound.error],
      ['StockUpdateError', ERRORS, errorFile, errorBytes.toString().replace('87654321', '22222222'), 'processed', null],
    );
    const product = products(world).find((p) => p.sku === 'SKU-OWN-LEAD')!;
    assert.deepEqual(
      world.rows<StockErrorRow>(
        'select product_id, inbound_file_id, part_number, message, cleared_at, cleared_by from stock_errors',
      ),
      [
        {
          product_id: product.id,
          inbound_file_id: inbound.id,
          part_number: '22222222',
          message: 'Part number not found for this supplier',
          cleared_at: null,
          cleared_by: null,
        },
      ],
    );
    assert.equal(product.resend, 0);

    // Shown, and still open: this run's push cannot tell yet whether The Edge accepts the product now.
    const listed = await world.cli(['stock-errors', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      listed
        .json<{ account: string; part_number: string; sku: string | null; message: string; file: string | null }[]>()
        .map((e) => [e.account, e.part_number, e.sku, e.message, e.file]),
      [[ACCOUNT, '22222222', 'SKU-OWN-LEAD', 'Part number not found for this supplier', errorFile]],
    );

    // The same file is not processed twice, and with nothing changed no file is sent.
    const again = await push(world);
    assert.deepEqual(
      [again.run.code, again.summary.errors_read, again.summary.sent, again.summary.files],
      [0, 0, 0, 0],
    );
    assert.equal(world.rows('select * from inbound_files').length, 1);
    assert.equal(world.rows('select * from stock_errors').length, 1);

    // A later push of the product that no new error names supersedes the error.
    await importStock(world, { 'SKU-OWN-LEAD': 5 });
    const later = await push(world);
    assert.deepEqual([later.run.code, later.summary.sent], [0, 1]);
    const [cleared] = world.rows<StockErrorRow>('select * from stock_errors');
    assert.deepEqual([cleared.cleared_by, typeof cleared.cleared_at], ['push', 'string']);
    assert.equal((await world.cli(['stock-errors', 'list', '--json'])).json<unknown[]>().length, 0);
  });

  it('a malformed error file is reported with its line and kept raw; an unknown part number is kept; the push goes on', async () => {
    putErrorFile(world, 'errors-1.csv', 'part_number,message\n99999999,Unknown stock number\n,no part number here\n');
    putErrorFile(world, 'errors-2.csv', 'colour,size\nred,large\n');

    const { run, summary } = await push(world);
    assert.equal(run.code, 1);
    assert.deepEqual([summary.sent, summary.files, summary.errors_read], [5, 1, 1]);
    assert.deepEqual(summary.errors, [
      { file: 'errors-1.csv', line: 3, message: 'no part number' },
      {
        file: 'errors-2.csv',
        line: 1,
        message: 'no part number column in the header (looked for part_number or stock_number)',
      },
    ]);
    assert.ok(run.stderr.includes('acme push-stock: errors-1.csv line 3: no part number'), run.stderr);
    assert.deepEqual(
      world
        .rows<{ remote_name: string; status: string; raw: Buffer }>(
          'select remote_name, status, raw from inbound_files order by remote_name',
        )
        .map((f) => [f.remote_name, f.status, f.raw.toString()]),
      [
        ['errors-1.csv', 'processed', 'part_number,message\n99999999,Unknown stock number\n,no part number here\n'],
        ['errors-2.csv', 'rejected', 'colour,size\nred,large\n'],
      ],
    );
    assert.deepEqual(world.rows<StockErrorRow>('select product_id, part_number, message from stock_errors'), [
      { product_id: null, part_number: '99999999', message: 'Unknown stock number' },
    ]);
    // Kept, and not read again.
    const again = await push(world);
    assert.deepEqual([again.run.code, again.summary.errors_read, again.summary.errors], [0, 0, []]);
  });

  it('an upload whose connection drops midway leaves no file under the final name, and the next run sends the same products', async () => {
    const running = world.cli(['push-stock', '--full', '--json'], {
      env: { JL_EDGE_NOW: NOW, JL_EDGE_FAULT: 'upload-midway:3000' },
    });
    const partial = await waitForInventoryFile(world);
    assert.ok(
      partial.size > 0 &&
        partial.size <
          Buffer.byteLength(
            fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'),
          ),
    );
    world.server.killSessions();
    const run = await running;

    assert.equal(run.code, 1);
    const summary = run.json<Summary>().accounts[0];
    assert.deepEqual([summary.sent, summary.files], [0, 0]);
    assert.match(
      summary.errors[0].message,
      /^upload failed, nothing left on the server; its products go out with the next run: /,
    );
    assert.deepEqual([...world.files(INVENTORY).keys()], []);
    const [failed] = world.rows<OutboxRow>('select * from outbox');
    assert.deepEqual([failed.remote_name, failed.status], [partial.name, 'failed']);
    assert.ok(products(world).every((p) => p.pushed_at === null));

    const next = await push(world);
    assert.equal(next.run.code, 0, next.run.stderr);
    const files = inventoryFiles(world);
    assert.equal(files.length, 1);
    assert.notEqual(files[0][0], partial.name, 'a fresh file under a new name');
    assert.equal(
      files[0][1],
      fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'),
    );
  });

  it('a run killed midway upload leaves a partial file that the next run removes before sending the same products again', async () => {
    // The runs' local working folders go here, to see what a killed run leaves behind.
    const localTemp = mkdtempSync(join(world.dir, 'tmp-'));
    const child = spawn(process.execPath, [BIN, 'push-stock', '--db', world.db], {
      cwd: world.dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: world.dir,
        TZ: 'UTC',
        TMPDIR: localTemp,
        JL_EDGE_NOW: NOW,
        JL_EDGE_FAULT: 'upload-midway:30000',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const partial = await waitForInventoryFile(world);
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual([...world.files(INVENTORY).keys()], [partial.name]);
    assert.equal(world.rows<OutboxRow>('select * from outbox')[0].status, 'pending');
    assert.deepEqual(
      readdirSync(localTemp).map((entry) => entry.startsWith(`jl-edge-push-stock-${child.pid}-`)),
      [true],
    );

    const next = await world.cli(['push-stock', '--json'], { env: { JL_EDGE_NOW: NOW, TMPDIR: localTemp } });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(
      readdirSync(localTemp),
      [],
      "the killed run's working folder is removed, and the new run removes its own",
    );
    const files = inventoryFiles(world);
    assert.equal(files.length, 1);
    assert.notEqual(files[0][0], partial.name);
    assert.equal(
      files[0][1],
      fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'),
    );
    assert.deepEqual(
      world.rows<OutboxRow>('select * from outbox order by id').map((r) => [r.remote_name, r.status]),
      [
        [partial.name, 'failed'],
        [files[0][0], 'sent'],
      ],
    );
  });

  it('records the values it sent, so a stock change during the upload goes out with the next delta', async () => {
    const running = world.cli(['push-stock', '--json'], {
      env: { JL_EDGE_NOW: NOW, JL_EDGE_FAULT: 'upload-midway:1500' },
    });
    await waitForInventoryFile(world);
    // The file is built; another system changes a stock before the run records what it pushed.
    setStockDirectly(world, { 'SKU-PLAIN': 70 });
    const run = await running;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      inventoryFiles(world)[0][1],
      fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'),
    );
    assert.deepEqual(pushedBySku(products(world))['SKU-PLAIN'], [7, 3, '', 0]);

    const next = await push(world);
    assert.equal(next.run.code, 0, next.run.stderr);
    assert.equal(inventoryFiles(world)[1][1], fileOf('11111111,,3,70'));
  });

  it('with stock_upload = rename the file is uploaded under a dot-name and renamed into place', async () => {
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--stock-upload', 'rename'])).code, 0);
    const { run, summary } = await push(world, '--full');
    assert.equal(run.code, 0, run.stderr);
    const files = world.files(INVENTORY);
    assert.deepEqual([...files.keys()], [summary.file]);
    assert.equal(
      files.get(summary.file!)!.toString(),
      fileOf('11111111,,3,7', '22222222,,9,4', '33333333,,3,0', '44444444,,3,0', '55555555,,3,2'),
    );
  });

  it('with stock_upload = rename a dropped upload leaves its partial file only under the dot-name, then removes it', async () => {
    assert.equal((await world.cli(['accounts', 'set', ACCOUNT, '--stock-upload', 'rename'])).code, 0);
    const running = world.cli(['push-stock', '--json'], {
      env: { JL_EDGE_NOW: NOW, JL_EDGE_FAULT: 'upload-midway:3000' },
    });
    const partial = await waitForInventoryFile(world, new RegExp(`^\\.inventory-${TOKEN_PREFIX}\\d{10}\\.csv$`));
    assert.deepEqual([...world.files(INVENTORY).keys()], [partial.name]);
    world.server.killSessions();
    const run = await running;
    assert.equal(run.code, 1);
    assert.deepEqual([...world.files(INVENTORY).keys()], []);
    assert.equal(world.rows<OutboxRow>('select * from outbox')[0].remote_name, partial.name.slice(1));
  });

  it('stock-errors clear clears one part number, or all with --all, and needs one of the two', async () => {
    putErrorFile(
      world,
      'errors-1.csv',
      'part_number,message\n11111111,Lead time too long\n22222222,Unknown\n33333333,Unknown\n',
    );
    assert.equal((await push(world)).run.code, 0);
    const open = async () =>
      (await world.cli(['stock-errors', 'list', '--json'])).json<{ part_number: string }[]>().map((e) => e.part_number);
    assert.deepEqual(await open(), ['11111111', '22222222', '33333333']);

    const dry = await world.cli(['stock-errors', 'clear', '22222222', '--dry-run']);
    assert.deepEqual(
      [dry.code, dry.stdout],
      [0, 'stock-errors acme: would clear 1 open stock error(s) of part number 22222222\n'],
    );
    assert.deepEqual(await open(), ['11111111', '22222222', '33333333']);

    const one = await world.cli(['stock-errors', 'clear', '22222222']);
    assert.deepEqual(
      [one.code, one.stdout],
      [0, 'stock-errors acme: cleared 1 open stock error(s) of part number 22222222\n'],
    );
    assert.deepEqual(await open(), ['11111111', '33333333']);

    const neither = await world.cli(['stock-errors', 'clear']);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /give either a part number or --all/);

    const all = await world.cli(['stock-errors', 'clear', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.json(), {
      part_number: null,
      dry_run: false,
      accounts: [{ account: ACCOUNT, cleared: 2 }],
      cleared: 2,
    });
    assert.deepEqual(await open(), []);
    assert.deepEqual(
      world
        .rows<StockErrorRow>('select part_number, cleared_by from stock_errors order by id')
        .map((e) => [e.part_number, e.cleared_by]),
      [
        ['11111111', 'manual'],
        ['22222222', 'manual'],
        ['33333333', 'manual'],
      ],
    );
  });

  it('lets only one of two runs for one account push; the other exits 75 naming the holder and sends nothing', async () => {
    const slow = world.cli(['push-stock'], { env: { JL_EDGE_NOW: NOW, JL_EDGE_FAULT: 'pause-after-lock:4000' } });
    let firstEnded: CliRun | null = null;
    void slow.then((run) => (firstEnded = run));
    await waitFor(
      () => firstEnded !== null || world.rows('select * from locks where step = ?', 'push-stock').length === 1,
    );
    assert.equal(firstEnded, null, 'the first run must still hold the lock');
    const second = await push(world);
    const first = await slow;

    assert.equal(second.run.code, 75);
    assert.match(
      second.run.stderr,
      /acme push-stock: push-stock for account "acme" is already running: held by pid \d+ on /,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(inventoryFiles(world).length, 1);
    assert.deepEqual(
      world
        .rows<{ outcome: string; exit_code: number }>(
          "select outcome, exit_code from runs where step = 'push-stock' order by id",
        )
        .map((r) => [r.outcome, r.exit_code])
        .sort(),
      [
        ['locked', 75],
        ['ok', 0],
      ],
    );
  });

  it('--dry-run prints the rows it would send and the errors it would record, and changes nothing', async () => {
    putErrorFile(world, 'errors-1.csv', 'part_number,message\n11111111,Lead time too long\n');
    const run = await world.cli(['push-stock', '--dry-run'], { env: { JL_EDGE_NOW: NOW } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        'push-stock acme: 5 sent, 1 files, 1 errors read',
        '  errors-1.csv: would record 1 stock error(s)',
        '    line 2: 11111111: Lead time too long',
        '  would send a delta inventory file of 5 row(s):',
        '    part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock',
        '    11111111,,3,7',
        '    22222222,,9,4',
        '    33333333,,3,0',
        '    44444444,,3,0',
        '    55555555,,3,2',
        'dry run: nothing was stored, sent or marked',
        '',
      ].join('\n'),
    );
    assert.deepEqual(inventoryFiles(world), []);
    for (const table of ['outbox', 'inbound_files', 'stock_errors'])
      assert.deepEqual(world.rows(`select * from ${table}`), [], table);
    assert.deepEqual(world.rows("select * from runs where step = 'push-stock'"), []);
    assert.ok(products(world).every((p) => p.pushed_at === null && p.resend === 0));
  });
});

/** Waits for the first inventory file (or another name matching `pattern`) to appear on the server with some bytes in it. */
async function waitForInventoryFile(world: EdgeWorld, pattern = FILE_NAME): Promise<{ name: string; size: number }> {
  const present = (): { name: string; size: number } | undefined => {
    const name = [...world.files(INVENTORY).keys()].find((entry) => pattern.test(entry));
    const size = name === undefined ? 0 : statSync(world.local(`${INVENTORY}/${name}`)).size;
    return name !== undefined && size > 0 ? { name, size } : undefined;
  };
  await waitFor(() => present() !== undefined);
  return present()!;
}

describe(
  `push-stock writes the example inventory file of test/fixtures/edge-examples${ENGINE_LABEL}`,
  { skip: sshdSkip },
  () => {
    const example = 'inventory-20260301101500000001.csv';
    const world = EdgeWorld.perTest((fresh) =>
      importProducts(
        fresh,
        'sku,channel_item_id,lead_time_days,stock\nCUSH-RED,12345678,,10\nOAK-TABLE,87654321,5,-1\n',
      ),
    );

    it('byte for byte, under an inventory-<token>.csv name from the pinned clock', async () => {
      const { run, summary } = await push(world, '--full');
      assert.equal(run.code, 0, run.stderr);
      const [[name, bytes], ...others] = [...world.files(INVENTORY)];
      assert.deepEqual(others, []);
      assert.match(name, FILE_NAME);
      assert.equal(summary.file, name);
      assert.deepEqual(bytes, readFileSync(new URL(`../fixtures/edge-examples/${example}`, import.meta.url)));
    });
  },
);

if (TEST_ENGINE === 'postgres')
  describe(`push-stock records a first push in place on PostgreSQL${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
    const world = EdgeWorld.perTest();
    const count = 2_000;

    /** The page of the table that holds each product's current row version, by id. */
    const pages = (): Record<string, number> =>
      Object.fromEntries(
        world
          .rows<{ id: number; page: number }>('select id, (ctid::text::point)[0] as page from products')
          .map((row) => [row.id, row.page]),
      );

    it('every product of a freshly imported catalogue stays in its page: no new index entries per product', async () => {
      const rows = Array.from(
        { length: count },
        (_, i) =>
          `SKU-${i + 1},${30_000_001 + i},${5_000_000_000_001 + i},${i % 15 || ''},${(i * 37) % 500},Product ${i + 1}`,
      );
      await importProducts(world, ['sku,channel_item_id,ean,lead_time_days,stock,title', ...rows, ''].join('\n'));
      const before = pages();
      assert.ok(new Set(Object.values(before)).size > 20, 'the catalogue spans many pages');

      const { run, summary } = await push(world);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(summary.sent, count);
      // A row version written to another page would need a new entry in each of the table's indexes.
      assert.deepEqual(pages(), before);
      const recorded = world.rows<{ n: number }>(
        'select count(*)::integer as n from products where pushed_stock = stock and pushed_at is not null',
      );
      assert.deepEqual(recorded, [{ n: count }]);
    });
  });
