/**
 * SPEC §2 stock rules: account rules (`accounts add|set`, `JL_EDGE_STOCK_*`), product overrides and the
 * active flag through `import-products`, the inventory files as written (row by row), the delta after a
 * rule change, and `products show`. The rules are computed in-process on a local-folder account (no
 * server has anything to prove about them: push-stock.test.ts uploads to a real sshd); the settings,
 * their refusals and what `products show` prints go through the built binary.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { setAccount } from '../../src/commands/accounts.js';
import { importProducts } from '../../src/commands/import-products.js';
import { showProduct } from '../../src/commands/products.js';
import { pushStock } from '../../src/commands/push-stock.js';
import { stepOutput } from '../../src/cli/output.js';
import type { AccountSettings } from '../../src/core/account-settings.js';
import { runCli, tempDir, withTempDir } from '../helpers/cli.js';
import { inProcess, type InProcess } from '../helpers/in-process.js';
import { createTestDb, type TestDb } from '../helpers/test-db.js';
import { ACCOUNT } from '../fixtures/orders/edge-world.js';

const INVENTORY = '/live/inventory';
const NOW = '2026-03-01T10:15:00.000Z';
const HEADER = 'part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock\n';
const fileOf = (...lines: string[]): string => HEADER + lines.map((line) => `${line}\n`).join('');

/**
 * Under the account's rules (buffer 2, share 50%, maximum 10), each product shows one rule or override:
 * - CAPPED 30: (30 − 2) × 50% = 14, capped at 10 → 10
 * - ROUNDED 7: (7 − 2) × 50% = 2.5, rounded down → 2
 * - BELOW-ZERO 1: (1 − 2) × 50% → below 0 → 0
 * - OWN-RULES 30 (buffer 0, maximum 100): 30 × 50% = 15 → 15
 * - OWN-MAX 30 (maximum 4): 14 capped at 4 → 4
 * - INACTIVE 50 (active no) → 0
 * - OWN-BUFFER 21 (buffer 5): (21 − 5) × 50% = 8 → 8
 */
const CATALOGUE = `sku,channel_item_id,stock,stock_buffer,stock_max,active
CAPPED,10000001,30,,,
ROUNDED,10000002,7,,,yes
BELOW-ZERO,10000003,1,,,1
OWN-RULES,10000004,30,0,100,true
OWN-MAX,10000005,30,,4,
INACTIVE,10000006,50,,,no
OWN-BUFFER,10000007,21,5,,
`;

/** The inventory file of the whole catalogue under those rules (lead time 3). */
const CATALOGUE_SENT = fileOf(
  '10000001,,3,10',
  '10000002,,3,2',
  '10000003,,3,0',
  '10000004,,3,15',
  '10000005,,3,4',
  '10000006,,3,0',
  '10000007,,3,8',
);

/** What `push-stock --json` says of the account. */
type Summary = { sent: number; files: number; file?: string | null };

describe('stock rules on the inventory file (in-process, local folder account)', () => {
  const temp = tempDir('jl-edge-stock-rules-');
  let db: TestDb;
  let jlEdge: InProcess;
  beforeEach(async () => {
    temp.remove();
    mkdirSync(temp.dir);
    db = createTestDb(temp.path('db.sqlite'));
    for (const folder of ['incoming', 'outgoing', 'inventory/errors'])
      mkdirSync(temp.path('edge', 'live', folder), { recursive: true });
    jlEdge = inProcess({ db: db.url, dir: temp.dir, env: { JL_EDGE_NOW: NOW } });
    await jlEdge.addLocalAccount(ACCOUNT, temp.path('edge'), {
      leadTimeDays: 3,
      stockBuffer: 2,
      stockShare: 50,
      stockMax: 10,
    });
    await importCsv(CATALOGUE);
  });
  after(() => temp.remove());

  const push = async (full = false): Promise<Summary> => {
    const result = await jlEdge.run((ctx) => pushStock(ctx, { full }));
    const output = stepOutput(result);
    assert.deepEqual([result.exitCode, output.problems, jlEdge.warnings], [0, [], []]);
    return (output.json as { accounts: Summary[] }).accounts[0]!;
  };
  const setAccountRules = (settings: Partial<AccountSettings>) =>
    jlEdge.run((ctx) => setAccount(ctx, ACCOUNT, settings));
  const inventoryFiles = (): string[] => {
    const folder = temp.path('edge', INVENTORY);
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()
      .map((name) => readFileSync(join(folder, name), 'utf8'));
  };
  const pushedStock = (): Record<string, number | null> =>
    Object.fromEntries(
      db
        .rows<{ sku: string; pushed_stock: number | null }>('select sku, pushed_stock from products order by id')
        .map((row) => [row.sku, row.pushed_stock]),
    );
  const importCsv = async (csv: string): Promise<void> => {
    writeFileSync(temp.path('products.csv'), csv);
    const result = await jlEdge.run((ctx) => importProducts(ctx, { file: temp.path('products.csv'), strict: false }));
    assert.equal(result.exitCode, 0, JSON.stringify(result.accounts));
  };

  it('a full push applies buffer, share (rounded down), maximum and never below 0 in that order, product overrides and inactive products', async () => {
    const summary = await push(true);
    assert.deepEqual([summary.sent, summary.files], [7, 1]);
    assert.deepEqual(inventoryFiles(), [CATALOGUE_SENT]);
    // What was sent is recorded, the stock itself is untouched.
    assert.deepEqual(pushedStock(), {
      CAPPED: 10,
      ROUNDED: 2,
      'BELOW-ZERO': 0,
      'OWN-RULES': 15,
      'OWN-MAX': 4,
      INACTIVE: 0,
      'OWN-BUFFER': 8,
    });
    assert.deepEqual(db.rows('select sku, stock, stock_buffer, stock_max, active from products order by id'), [
      { sku: 'CAPPED', stock: 30, stock_buffer: null, stock_max: null, active: 1 },
      { sku: 'ROUNDED', stock: 7, stock_buffer: null, stock_max: null, active: 1 },
      { sku: 'BELOW-ZERO', stock: 1, stock_buffer: null, stock_max: null, active: 1 },
      { sku: 'OWN-RULES', stock: 30, stock_buffer: 0, stock_max: 100, active: 1 },
      { sku: 'OWN-MAX', stock: 30, stock_buffer: null, stock_max: 4, active: 1 },
      { sku: 'INACTIVE', stock: 50, stock_buffer: null, stock_max: null, active: 0 },
      { sku: 'OWN-BUFFER', stock: 21, stock_buffer: 5, stock_max: null, active: 1 },
    ]);
  });

  it('the first delta sends the same rows; a rule change then re-sends exactly the products whose sent value changes', async () => {
    const first = await push();
    assert.equal(first.sent, 7);
    assert.equal(inventoryFiles()[0], CATALOGUE_SENT);

    // Account maximum 10 → 12: only CAPPED's sent value moves (14 capped at 12); OWN-RULES and OWN-MAX
    // have their own maximum, the others are below it.
    await setAccountRules({ stockMax: 12 });
    assert.equal((await push()).sent, 1);
    assert.equal(inventoryFiles()[1], fileOf('10000001,,3,12'));

    // Stock and product rules that change what is stored but not what is sent send nothing:
    // CAPPED 30 → 40 is still capped at 12; OWN-MAX buffer 4 gives 13, still capped at 4.
    await importCsv('sku,stock,stock_buffer\nCAPPED,40,\nOWN-MAX,30,4\n');
    const idle = await push();
    assert.deepEqual([idle.sent, idle.files, idle.file], [0, 0, null]);
    assert.equal(inventoryFiles().length, 2);

    // A product override that moves the sent value, and a product made active again: exactly those two.
    // OWN-RULES buffer 10: (30 − 10) × 50% = 10; INACTIVE active: (50 − 2) × 50% = 24, capped at 12.
    // An empty active cell leaves the product as it is (CAPPED stays active).
    await importCsv('sku,stock_buffer,stock_max,active\nOWN-RULES,10,100,\nINACTIVE,,,yes\nCAPPED,,,\n');
    assert.equal((await push()).sent, 2);
    assert.equal(inventoryFiles()[2], fileOf('10000004,,3,10', '10000006,,3,12'));

    // The account share: every product whose value moves, and only those. 100%: CAPPED 38 → 12 (same),
    // ROUNDED 5, BELOW-ZERO 0 (same), OWN-RULES 20, OWN-MAX 4 (same), INACTIVE 12 (same), OWN-BUFFER 16 → 12.
    await setAccountRules({ stockShare: 100 });
    assert.equal((await push()).sent, 3);
    assert.equal(inventoryFiles()[3], fileOf('10000002,,3,5', '10000004,,3,20', '10000007,,3,12'));

    // Deactivating sends 0 once.
    await importCsv('sku,active\nOWN-BUFFER,0\n');
    assert.equal((await push()).sent, 1);
    assert.equal(inventoryFiles()[4], fileOf('10000007,,3,0'));
    assert.deepEqual(pushedStock(), {
      CAPPED: 12,
      ROUNDED: 5,
      'BELOW-ZERO': 0,
      'OWN-RULES': 20,
      'OWN-MAX': 4,
      INACTIVE: 12,
      'OWN-BUFFER': 0,
    });
  });

  it('products show gives the stock, the value sent and the rule that produced it', async () => {
    const text = await runCli(['products', 'show', 'CAPPED', '--db', db.url], { cwd: temp.dir });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.ok(lines.includes('  stock            30'), text.stdout);
    assert.ok(
      lines.includes(
        '  stock sent       10: stock 30, − buffer 2 (account) = 28, × share 50% (account), rounded down = 14, capped at maximum 10 (account) = 10',
      ),
      text.stdout,
    );
    assert.ok(lines.includes("  stock rules      buffer the account's, maximum the account's, active"), text.stdout);

    const show = (sku: string) => jlEdge.run((ctx) => showProduct(ctx, sku));
    const detail = await show('OWN-MAX');
    assert.deepEqual(
      [detail.stock, detail.stock_buffer, detail.stock_max, detail.active, detail.stock_to_send, detail.stock_rule],
      [
        30,
        null,
        4,
        true,
        4,
        'stock 30, − buffer 2 (account) = 28, × share 50% (account), rounded down = 14, capped at maximum 4 (product) = 4',
      ],
    );
    const inactive = await show('INACTIVE');
    assert.deepEqual([inactive.stock_to_send, inactive.stock_rule], [0, 'stock 50, inactive product: sent as 0']);
    const below = await show('BELOW-ZERO');
    assert.equal(
      below.stock_rule,
      'stock 1, − buffer 2 (account) = -1, × share 50% (account), rounded down = -1, never below 0 = 0',
    );
  });
});

describe('stock rules: settings and import errors (local folder account)', () => {
  it('accounts add|set take the rules, refuse a share over 100, and JL_EDGE_STOCK_* set them for the environment account', async () => {
    await withTempDir(async (temp, db) => {
      const root = temp.path('edge');
      mkdirSync(root);
      const add = await runCli(
        [
          'accounts',
          'add',
          'shop',
          '--local-root',
          root,
          '--stock-buffer',
          '3',
          '--stock-share',
          '80',
          '--json',
          '--db',
          db,
        ],
        { cwd: temp.dir },
      );
      assert.equal(add.code, 0, add.stderr);
      const added = add.json<Record<string, unknown>>();
      assert.deepEqual([added.stock_buffer, added.stock_share, added.stock_max], [3, 80, null]);

      const refused = await runCli(['accounts', 'set', 'shop', '--stock-share', '150', '--db', db], { cwd: temp.dir });
      assert.equal(refused.code, 2);
      assert.equal(refused.stderr.trim(), 'jl-edge accounts set: --stock-share is a percentage from 0 to 100, not 150');

      const set = await runCli(['accounts', 'set', 'shop', '--stock-max', '9', '--db', db], { cwd: temp.dir });
      assert.equal(set.code, 0, set.stderr);
      assert.ok(
        set.stdout.includes('  stock rules: buffer 3, share 80%, maximum 9; acknowledgement alert after 60 minutes'),
        set.stdout,
      );
      const none = await runCli(['accounts', 'set', 'shop', '--stock-max', 'none', '--json', '--db', db], {
        cwd: temp.dir,
      });
      assert.equal(none.json<Record<string, unknown>>().stock_max, null);

      const env = {
        JL_EDGE_LOCAL_ROOT: root,
        JL_EDGE_ACCOUNT: 'from-env',
        JL_EDGE_STOCK_BUFFER: '1',
        JL_EDGE_STOCK_SHARE: '90',
        JL_EDGE_STOCK_MAX: '25',
      };
      const shown = await runCli(['accounts', 'show', 'from-env', '--json', '--db', db], { cwd: temp.dir, env });
      assert.equal(shown.code, 0, shown.stderr);
      const fromEnv = shown.json<Record<string, unknown>>();
      assert.deepEqual([fromEnv.stock_buffer, fromEnv.stock_share, fromEnv.stock_max], [1, 90, 25]);
      const bad = await runCli(['accounts', 'list', '--db', db], {
        cwd: temp.dir,
        env: { ...env, JL_EDGE_STOCK_SHARE: '101' },
      });
      assert.equal(bad.code, 2);
      assert.equal(
        bad.stderr.trim(),
        'jl-edge accounts list: JL_EDGE_STOCK_SHARE is a percentage from 0 to 100, not 101',
      );
    });
  });

  it('import-products rejects a bad stock_buffer, stock_max or active with line, column and reason, and imports the rest', async () => {
    await withTempDir(async (temp, db) => {
      const root = temp.path('edge');
      mkdirSync(root);
      await inProcess({ db, dir: temp.dir }).addLocalAccount('shop', root);
      const csv =
        'sku,stock,Stock Buffer,stock-max,Active\nGOOD,5,1,,YES\nBAD-BUFFER,5,-1,,\nBAD-MAX,5,,x,\nBAD-ACTIVE,5,,,maybe\n';
      const run = await runCli(['import-products', '-', '--json', '--db', db], { input: csv, cwd: temp.dir });
      assert.equal(run.code, 1);
      const summary = run.json<{ accounts: { inserted: number; rejected: number; errors: unknown[] }[] }>()
        .accounts[0]!;
      assert.deepEqual([summary.inserted, summary.rejected], [1, 3]);
      assert.deepEqual(summary.errors, [
        {
          file: 'stdin',
          line: 3,
          column: 'Stock Buffer',
          message: 'stock buffer must be a whole number of units, 0 or more, or empty for the account\'s, got "-1"',
        },
        {
          file: 'stdin',
          line: 4,
          column: 'stock-max',
          message: 'stock maximum must be a whole number of units, 0 or more, or empty for the account\'s, got "x"',
        },
        {
          file: 'stdin',
          line: 5,
          column: 'Active',
          message: 'active must be 1/0, true/false or yes/no (empty leaves it as it is), got "maybe"',
        },
      ]);
      const stored = new Database(db, { readonly: true });
      try {
        assert.deepEqual(stored.prepare('select sku, stock, stock_buffer, stock_max, active from products').all(), [
          { sku: 'GOOD', stock: 5, stock_buffer: 1, stock_max: null, active: 1 },
        ]);
      } finally {
        stored.close();
      }
    });
  });
});
