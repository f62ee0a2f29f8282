/**
 * import-products through the built binary (SPEC §2, §5.3): what is stored (rows read back from the
 * SQLite file), what is reported for each bad row (line, column, reason), and what is left alone.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ENGINE_LABEL, createTestDb, type TestDb } from '../helpers/test-db.js';
import { runCli, tempDir, withoutStamps, type CliRun } from '../helpers/cli.js';

const FIXTURES = new URL('../fixtures/products/', import.meta.url);
const FIRST_DAY = '2026-03-01T10:00:00.000Z';
const NEXT_DAY = '2026-03-02T10:00:00.000Z';

interface ProductRow {
  sku: string;
  channel_item_id: string | null;
  ean: string | null;
  lead_time_days: number | null;
  stock: number;
  title: string | null;
}
interface StoredRow extends ProductRow {
  pushed_stock: number | null;
  pushed_lead_time_days: number | null;
  pushed_at: string | null;
  resend: number;
  created_at: string;
  updated_at: string;
}
interface ItemError {
  file?: string;
  line?: number;
  column?: string;
  message: string;
}
interface Summary {
  command: string;
  accounts: {
    account: string;
    ok: boolean;
    exit_code: number;
    inserted: number;
    updated: number;
    unchanged: number;
    rejected: number;
    errors: ItemError[];
    file: string;
    ignored_columns?: string[];
  }[];
}

/** The rows and reports the mixed fixture must give, line by line. */
const MIXED_PRODUCTS: ProductRow[] = [
  {
    sku: 'CUSHION-RED',
    channel_item_id: '10000002',
    ean: null,
    lead_time_days: null,
    stock: -3,
    title: 'Cushion, red',
  },
  {
    sku: 'FRAME-12',
    channel_item_id: '10000003',
    ean: '5012345678901',
    lead_time_days: 2,
    stock: 40,
    title: 'Frame 12" x 16"\nwith mount',
  },
  { sku: 'LAMP', channel_item_id: '10000010', ean: null, lead_time_days: null, stock: 7, title: 'Lamp' },
  {
    sku: 'OAK-TABLE',
    channel_item_id: '10000001',
    ean: '5012345678900',
    lead_time_days: 5,
    stock: 12,
    title: 'Oak table',
  },
  { sku: 'OTHER', channel_item_id: '20000001', ean: null, lead_time_days: null, stock: 0, title: 'Another product' },
];
const MIXED_ERRORS: ItemError[] = [
  { file: 'mixed.csv', line: 6, column: 'sku', message: 'sku is empty' },
  {
    file: 'mixed.csv',
    line: 7,
    column: 'channel_item_id',
    message: 'channel item id must be 8 digits or empty, got "1234567"',
  },
  { file: 'mixed.csv', line: 8, column: 'stock', message: 'stock must be a whole number, got "2.5"' },
  {
    file: 'mixed.csv',
    line: 9,
    column: 'lead_time_days',
    message: 'lead time must be a whole number of days, 0 or more, got "-1"',
  },
  { file: 'mixed.csv', line: 10, column: 'ean', message: 'ean must be at most 14 digits, got "501234567890123"' },
  { file: 'mixed.csv', line: 11, column: 'sku', message: 'duplicate SKU "OAK-TABLE": first on line 2' },
  {
    file: 'mixed.csv',
    line: 12,
    column: 'channel_item_id',
    message: 'channel item id 10000001 is already given to SKU "OAK-TABLE" on line 2',
  },
  {
    file: 'mixed.csv',
    line: 13,
    column: 'channel_item_id',
    message: 'channel item id 20000001 is held by SKU "OTHER"',
  },
  { file: 'mixed.csv', line: 14, message: 'the row has 2 fields, the header has 7' },
  { file: 'mixed.csv', line: 15, column: 'sku', message: 'sku is longer than 64 characters (65)' },
  { file: 'mixed.csv', line: 16, column: 'title', message: 'title is longer than 255 characters (256)' },
  { file: 'mixed.csv', line: 17, message: 'text "shade" follows the closing quote of a field' },
  {
    file: 'mixed.csv',
    line: 19,
    column: 'channel_item_id',
    message: 'channel item id must be 8 digits or empty, got "1234"',
  },
  { file: 'mixed.csv', line: 19, column: 'stock', message: 'stock must be a whole number, got "x"' },
];
/** The mixed fixture carries a "colour" column: named on stderr every time, before the rows' errors (time stamps removed). */
const MIXED_STDERR =
  'shop import-products: mixed.csv: warning: column "colour" is not read by jl-edge and ignored (known columns: ' +
  'channel_item_id, stock_number, part_number, ean, lead_time_days, lead_time, lead_days, stock, free_stock, ' +
  'stock_level, stock_quantity, quantity, qty, available, title, stock_buffer, stock_max, active)\n' +
  MIXED_ERRORS.map(
    (e) => `shop import-products: mixed.csv line ${e.line}${e.column ? ` column ${e.column}` : ''}: ${e.message}\n`,
  ).join('');

describe(`import-products${ENGINE_LABEL}`, () => {
  let work: ReturnType<typeof tempDir>;
  let database: TestDb;

  beforeEach(() => {
    work = tempDir('jl-edge-import-');
    database = createTestDb(work.path('db.sqlite'));
    for (const name of readdirSync(FIXTURES)) copyFileSync(new URL(name, FIXTURES), work.path(name));
  });
  afterEach(() => work.remove());

  const cli = (args: string[], options: { now?: string; input?: string } = {}): Promise<CliRun> =>
    runCli([...args, '--db', database.url], {
      cwd: work.dir,
      input: options.input,
      env: { JL_EDGE_NOW: options.now ?? FIRST_DAY },
    });
  const addAccount = async (name = 'shop') => {
    const run = await cli(['accounts', 'add', name, '--local-root', work.path(`exchange-${name}`), '--quiet']);
    assert.equal(run.code, 0, run.stderr);
  };
  const importFile = (file: string, ...args: string[]) => cli(['import-products', file, ...args]);
  const rows = <T>(sql: string): T[] => database.rows<T>(sql);
  const products = () =>
    rows<ProductRow>('select sku, channel_item_id, ean, lead_time_days, stock, title from products order by sku');
  const stored = () => rows<StoredRow>('select * from products order by sku');
  const bySku = (list: StoredRow[]) => new Map(list.map((row) => [row.sku, row]));
  const summaryOf = (run: CliRun) => run.json<Summary>().accounts[0]!;

  /** An account holding OTHER (channel item id 20000001), so the mixed file meets a product it does not carry. */
  const withOtherProduct = async () => {
    await addAccount();
    const run = await importFile('existing.csv');
    assert.equal(run.code, 0, run.stderr);
  };

  it('stores the good rows of a mixed file, reports each bad row by line, column and reason, and exits 1', async () => {
    await withOtherProduct();

    const run = await importFile('mixed.csv');

    assert.equal(run.code, 1);
    assert.equal(run.stdout, 'import-products shop: 4 inserted, 0 updated, 0 unchanged, 13 rejected\n');
    assert.equal(withoutStamps(run.stderr), MIXED_STDERR);
    assert.deepEqual(products(), MIXED_PRODUCTS);
    const [logged] = rows<{ outcome: string; exit_code: number; counts: string }>(
      "select outcome, exit_code, counts from runs where step = 'import-products' order by id desc limit 1",
    );
    assert.deepEqual(
      [logged!.outcome, logged!.exit_code, JSON.parse(logged!.counts)],
      ['partial', 1, { inserted: 4, updated: 0, unchanged: 0, rejected: 13 }],
    );
  });

  it('gives the same errors in --json, and names the ignored columns', async () => {
    await withOtherProduct();

    const run = await importFile('mixed.csv', '--json');

    assert.equal(run.code, 1);
    const summary = summaryOf(run);
    assert.deepEqual(summary.errors, MIXED_ERRORS);
    assert.deepEqual(
      [summary.inserted, summary.updated, summary.unchanged, summary.rejected, summary.ok],
      [4, 0, 0, 13, false],
    );
    assert.deepEqual(summary.ignored_columns, ['colour']);
    assert.equal(withoutStamps(run.stderr), MIXED_STDERR);
  });

  it('reports no change when the same file is imported again, and leaves updated_at alone', async () => {
    await withOtherProduct();
    await importFile('mixed.csv');
    const before = stored();

    const again = await cli(['import-products', 'mixed.csv', '--json'], { now: NEXT_DAY });

    const summary = summaryOf(again);
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [0, 0, 4, 13]);
    assert.deepEqual(summary.errors, MIXED_ERRORS);
    assert.deepEqual(stored(), before);
  });

  it('updates only the columns a file carries: a sku,stock file changes stock and inserts a new SKU with defaults', async () => {
    await withOtherProduct();
    await importFile('mixed.csv');
    // What push-stock sent: the import must not touch it (push-stock compares against it).
    database.run(
      "update products set pushed_stock = 12, pushed_lead_time_days = 5, pushed_at = ? where sku = 'OAK-TABLE'",
      FIRST_DAY,
    );
    const before = bySku(stored());

    const run = await cli(['import-products', 'stock-only.csv'], { now: NEXT_DAY });

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'import-products shop: 1 inserted, 1 updated, 1 unchanged, 0 rejected\n');
    const after = bySku(stored());
    assert.deepEqual(after.get('OAK-TABLE'), {
      ...before.get('OAK-TABLE')!,
      stock: 30,
      updated_at: after.get('OAK-TABLE')!.updated_at,
    });
    assert.ok(after.get('OAK-TABLE')!.updated_at.startsWith('2026-03-02'), after.get('OAK-TABLE')!.updated_at);
    assert.deepEqual(after.get('CUSHION-RED'), before.get('CUSHION-RED'));
    const added = after.get('NEW-SKU')!;
    assert.deepEqual(
      [
        added.channel_item_id,
        added.ean,
        added.lead_time_days,
        added.stock,
        added.title,
        added.pushed_stock,
        added.resend,
      ],
      [null, null, null, 5, null, null, 0],
    );
  });

  it('--strict writes nothing when a row is bad', async () => {
    await withOtherProduct();
    const before = stored();

    const run = await importFile('mixed.csv', '--strict', '--json');

    assert.equal(run.code, 1);
    const summary = summaryOf(run);
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [0, 0, 0, 13]);
    assert.deepEqual(summary.errors, [
      ...MIXED_ERRORS,
      { file: 'mixed.csv', message: '--strict: nothing was imported because the file has 13 rejected rows' },
    ]);
    assert.deepEqual(stored(), before);
  });

  it('--strict imports a file without bad rows', async () => {
    await addAccount();

    const run = await importFile('moves-before.csv', '--strict');

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'import-products shop: 6 inserted, 0 updated, 0 unchanged, 0 rejected\n');
    assert.equal(products().length, 6);
  });

  it('--dry-run reports what would change and writes nothing, not even a run-log row', async () => {
    await withOtherProduct();
    const before = stored();
    const runsBefore = rows('select * from runs');

    const run = await importFile('mixed.csv', '--dry-run');

    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      'import-products shop: 4 inserted, 0 updated, 0 unchanged, 13 rejected (dry run: nothing written)\n',
    );
    assert.equal(withoutStamps(run.stderr), MIXED_STDERR);
    assert.deepEqual(stored(), before);
    assert.deepEqual(rows('select * from runs'), runsBefore);
  });

  it('reads standard input for "-", naming it stdin in errors', async () => {
    await addAccount();

    const run = await cli(['import-products', '-'], { input: 'sku,stock,title\nPEN,3,"Blue\npen"\nPEN,4,again\n' });

    assert.equal(run.code, 1);
    assert.equal(run.stdout, 'import-products shop: 1 inserted, 0 updated, 0 unchanged, 1 rejected\n');
    assert.equal(
      withoutStamps(run.stderr),
      'shop import-products: stdin line 4 column sku: duplicate SKU "PEN": first on line 2\n',
    );
    assert.deepEqual(products(), [
      { sku: 'PEN', channel_item_id: null, ean: null, lead_time_days: null, stock: 3, title: 'Blue\npen' },
    ]);
  });

  it('matches header variants: ChannelItemId and "Stock Number" (semicolon-delimited)', async () => {
    await addAccount();

    const first = await importFile('channel-item-id.csv');
    const second = await importFile('stock-number.csv');

    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(products(), [
      { sku: 'VARIANT-1', channel_item_id: '40000001', ean: null, lead_time_days: 4, stock: 0, title: null },
      {
        sku: 'VARIANT-2',
        channel_item_id: '40000002',
        ean: '5012345678902',
        lead_time_days: null,
        stock: 0,
        title: null,
      },
    ]);
  });

  it('refuses a file without a sku column, naming its header, and writes nothing', async () => {
    await addAccount();

    const run = await importFile('no-sku.csv', '--json');

    assert.equal(run.code, 1);
    assert.deepEqual(summaryOf(run).errors, [
      { file: 'no-sku.csv', line: 1, message: 'the header has no sku column (header: "part_number,stock")' },
    ]);
    assert.deepEqual(products(), []);
  });

  it('moves channel item ids between SKUs within one file: a move, a chain and a swap; an id held outside the file is refused', async () => {
    await addAccount();
    await importFile('moves-before.csv');

    const run = await importFile('moves.csv', '--json');

    assert.equal(run.code, 1);
    const summary = summaryOf(run);
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [2, 5, 0, 1]);
    assert.deepEqual(summary.errors, [
      { file: 'moves.csv', line: 9, column: 'channel_item_id', message: 'channel item id 30000001 is held by SKU "I"' },
    ]);
    assert.deepEqual(
      rows<{ sku: string; channel_item_id: string; resend: number }>(
        'select sku, channel_item_id, resend from products order by sku',
      ),
      [
        { sku: 'A', channel_item_id: '10000004', resend: 1 },
        { sku: 'B', channel_item_id: '10000001', resend: 1 },
        { sku: 'C', channel_item_id: '10000005', resend: 1 },
        { sku: 'D', channel_item_id: '10000003', resend: 0 },
        { sku: 'E', channel_item_id: '10000002', resend: 0 },
        { sku: 'G', channel_item_id: '20000002', resend: 1 },
        { sku: 'H', channel_item_id: '20000001', resend: 1 },
        { sku: 'I', channel_item_id: '30000001', resend: 0 },
      ],
    );
    const again = summaryOf(await importFile('moves.csv', '--json'));
    assert.deepEqual([again.inserted, again.updated, again.unchanged, again.rejected], [0, 0, 7, 1]);
  });

  it('catches a duplicate SKU and a reused channel item id batches apart in a large first import', async () => {
    await addAccount();
    const lines = ['sku,channel_item_id'];
    for (let n = 1; n <= 1200; n++) lines.push(`SKU-${String(n).padStart(4, '0')},${50_000_000 + n}`);
    lines[1101] = 'SKU-0003,59999999'; // line 1102 repeats the SKU of line 4
    lines[1150] = 'EXTRA,50000005'; // line 1151 takes the id of line 6
    writeFileSync(work.path('large.csv'), `${lines.join('\n')}\n`);

    const run = await importFile('large.csv', '--json');

    assert.equal(run.code, 1);
    const summary = summaryOf(run);
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [1198, 0, 0, 2]);
    assert.deepEqual(summary.errors, [
      { file: 'large.csv', line: 1102, column: 'sku', message: 'duplicate SKU "SKU-0003": first on line 4' },
      {
        file: 'large.csv',
        line: 1151,
        column: 'channel_item_id',
        message: 'channel item id 50000005 is already given to SKU "SKU-0005" on line 6',
      },
    ]);
    assert.deepEqual(rows('select count(*) as n from products'), [{ n: 1198 }]);
    assert.deepEqual(rows("select sku from products where channel_item_id in ('50000005', '59999999')"), [
      { sku: 'SKU-0005' },
    ]);
  });

  it('reports conflicts batches deep by line, and stores every other row; --strict stores none', async () => {
    await addAccount();
    // 16,000 rows: 7 batches on PostgreSQL (2,500 rows, each written while the next is decided), 32 on SQLite.
    const lines = ['sku,channel_item_id,stock'];
    for (let n = 1; n <= 16_000; n++) lines.push(`SKU-${String(n).padStart(5, '0')},${50_000_000 + n},${n % 100}`);
    lines[6000] = 'SKU-00003,59999999,1'; // line 6001 (third batch) repeats the SKU of line 4
    lines[7000] = 'TAKER,50000005,1'; // line 7001 (third batch) takes the id of line 6
    lines[11000] = 'LATE,,x'; // line 11001 (fifth batch) is rejected for its stock…
    lines[13000] = 'LATE,59999998,2'; // …so line 13001 (sixth batch) repeats the SKU of a rejected row
    writeFileSync(work.path('batches.csv'), `${lines.join('\n')}\n`);
    const errors: ItemError[] = [
      { file: 'batches.csv', line: 6001, column: 'sku', message: 'duplicate SKU "SKU-00003": first on line 4' },
      {
        file: 'batches.csv',
        line: 7001,
        column: 'channel_item_id',
        message: 'channel item id 50000005 is already given to SKU "SKU-00005" on line 6',
      },
      { file: 'batches.csv', line: 11001, column: 'stock', message: 'stock must be a whole number, got "x"' },
      { file: 'batches.csv', line: 13001, column: 'sku', message: 'duplicate SKU "LATE": first on line 11001' },
    ];

    const strict = await importFile('batches.csv', '--strict', '--json');

    assert.equal(strict.code, 1);
    const refused = summaryOf(strict);
    assert.deepEqual([refused.inserted, refused.updated, refused.unchanged, refused.rejected], [0, 0, 0, 4]);
    assert.deepEqual(refused.errors, [
      ...errors,
      { file: 'batches.csv', message: '--strict: nothing was imported because the file has 4 rejected rows' },
    ]);
    assert.deepEqual(rows('select count(*) as n from products'), [{ n: 0 }]);

    const run = await importFile('batches.csv', '--json');

    assert.equal(run.code, 1);
    const summary = summaryOf(run);
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [15_996, 0, 0, 4]);
    assert.deepEqual(summary.errors, errors);
    const expected = [];
    for (let n = 1; n <= 16_000; n++)
      if (![6000, 7000, 11000, 13000].includes(n))
        expected.push({
          sku: `SKU-${String(n).padStart(5, '0')}`,
          channel_item_id: String(50_000_000 + n),
          stock: n % 100,
        });
    assert.deepEqual(rows('select sku, channel_item_id, stock from products order by sku'), expected);
  });

  it('needs --account when there are several accounts', async () => {
    await addAccount('shop');
    await addAccount('outlet');

    const refused = await importFile('stock-only.csv');
    const chosen = await importFile('stock-only.csv', '--account', 'outlet');

    assert.equal(refused.code, 2);
    assert.equal(
      withoutStamps(refused.stderr),
      'jl-edge import-products: several accounts: choose one with --account (outlet, shop)\n',
    );
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.equal(chosen.stdout, 'import-products outlet: 3 inserted, 0 updated, 0 unchanged, 0 rejected\n');
  });

  it('refuses a file that does not exist with a usage error', async () => {
    await addAccount();

    const run = await importFile('missing.csv');

    assert.equal(run.code, 2);
    assert.match(withoutStamps(run.stderr), /^jl-edge import-products: cannot read missing\.csv: ENOENT/);
  });

  it('shows and lists products', async () => {
    await withOtherProduct();
    await importFile('mixed.csv');

    const shown = await cli(['products', 'show', 'FRAME-12', '--json']);
    const listed = await cli(['products', 'list', '--limit', '2', '--json']);
    const human = await cli(['products', 'show', 'CUSHION-RED']);
    const unknown = await cli(['products', 'show', 'NOPE']);

    assert.equal(shown.code, 0, shown.stderr);
    const frame = shown.json<Record<string, unknown>>();
    assert.deepEqual(
      { ...frame, created_at: undefined, updated_at: undefined },
      {
        account: 'shop',
        sku: 'FRAME-12',
        channel_item_id: '10000003',
        ean: '5012345678901',
        title: 'Frame 12" x 16"\nwith mount',
        lead_time_days: 2,
        stock: 40,
        stock_buffer: null,
        stock_max: null,
        active: true,
        stock_to_send: 40,
        stock_rule: 'stock 40, no rule changes it',
        pushed_stock: null,
        pushed_lead_time_days: null,
        pushed_at: null,
        resend: false,
        created_at: undefined,
        updated_at: undefined,
        stock_errors: [],
      },
    );
    assert.deepEqual(
      listed.json<{ sku: string }[]>().map((p) => p.sku),
      ['CUSHION-RED', 'FRAME-12'],
    );
    assert.match(human.stdout, /^CUSHION-RED \(account shop\)\n {2}channel item id {2}10000002\n/);
    assert.match(human.stdout, /\n {2}stock {12}-3\n {2}stock sent {7}0: stock -3, never below 0 = 0\n/);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'jl-edge products show: account "shop" has no product with SKU "NOPE"\n');
  });
});
