/**
 * Issue 16.1: a CSV that changes nothing must say so. Column names stock systems use are understood, a
 * column that maps to nothing is a warning on stderr even with --quiet, and a file in which nothing
 * beyond the key maps is refused (exit 1, nothing stored) — for import-products and import-shipments.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, tempDir, withoutStamps, type CliRun } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';

const NOW = '2026-03-01T10:00:00.000Z';

describe('imports say when a column changes nothing', () => {
  let work: ReturnType<typeof tempDir>;
  const cli = (args: string[]): Promise<CliRun> =>
    runCli([...args, '--db', work.path('db.sqlite')], { cwd: work.dir, env: { JL_EDGE_NOW: NOW } });
  const products = (): { sku: string; stock: number; lead_time_days: number | null }[] => {
    const db = new Database(work.path('db.sqlite'), { readonly: true });
    try {
      return db.prepare('select sku, stock, lead_time_days from products order by sku').all() as never;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    work = tempDir('jl-edge-day-two-');
    // In-process: the import runs after it are what is tested.
    await inProcess({ db: work.path('db.sqlite'), dir: work.dir }).addLocalAccount('shop', work.path('exchange'));
  });
  afterEach(() => work.remove());

  for (const column of ['quantity', 'stock_level', 'free_stock', 'Qty', 'Stock Quantity']) {
    it(`reads "${column}" as the stock column`, async () => {
      writeFileSync(work.path('stock.csv'), `sku,${column}\nLAMP,7\nCHAIR,0\n`);
      const run = await cli(['import-products', 'stock.csv', '--quiet']);
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', '']);
      assert.deepEqual(products(), [
        { sku: 'CHAIR', stock: 0, lead_time_days: null },
        { sku: 'LAMP', stock: 7, lead_time_days: null },
      ]);
    });
  }

  it('reads "lead_time" as the lead time in days', async () => {
    writeFileSync(work.path('lead.csv'), 'sku,lead_time\nLAMP,4\n');
    const run = await cli(['import-products', 'lead.csv', '--quiet']);
    assert.deepEqual([run.code, run.stderr], [0, '']);
    assert.deepEqual(products(), [{ sku: 'LAMP', stock: 0, lead_time_days: 4 }]);
  });

  it('warns on stderr, even with --quiet, about a column it ignores, and imports the rest', async () => {
    writeFileSync(work.path('stock.csv'), 'sku,stock,colour\nLAMP,7,red\n');
    const run = await cli(['import-products', 'stock.csv', '--quiet']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
    assert.equal(
      withoutStamps(run.stderr),
      'shop import-products: stock.csv: warning: column "colour" is not read by jl-edge and ignored (known columns: ' +
        'channel_item_id, stock_number, part_number, ean, lead_time_days, lead_time, lead_days, stock, free_stock, ' +
        'stock_level, stock_quantity, quantity, qty, available, title, stock_buffer, stock_max, active)\n',
    );
    assert.deepEqual(products(), [{ sku: 'LAMP', stock: 7, lead_time_days: null }]);
  });

  it('refuses a product file where no column besides sku means anything: exit 1, nothing stored', async () => {
    writeFileSync(work.path('stock.csv'), 'sku,on_hand_units\nLAMP,7\n');
    const run = await cli(['import-products', 'stock.csv', '--json']);
    assert.equal(run.code, 1);
    const message =
      'no column besides sku is one jl-edge reads, so the file would change nothing (ignored: "on_hand_units"; known: ' +
      'channel_item_id, stock_number, part_number, ean, lead_time_days, lead_time, lead_days, stock, free_stock, ' +
      'stock_level, stock_quantity, quantity, qty, available, title, stock_buffer, stock_max, active)';
    assert.deepEqual(run.json(), {
      command: 'import-products',
      accounts: [
        {
          account: 'shop',
          ok: false,
          exit_code: 1,
          inserted: 0,
          updated: 0,
          unchanged: 0,
          rejected: 0,
          errors: [{ file: 'stock.csv', line: 1, message }],
          file: 'stock.csv',
        },
      ],
    });
    assert.equal(withoutStamps(run.stderr), `shop import-products: stock.csv line 1: ${message}\n`);
    assert.deepEqual(products(), []);
  });

  it('import-shipments warns about a column it ignores', async () => {
    writeFileSync(
      work.path('shipments.csv'),
      'order_number,sku,quantity,carrier,tracking_number,warehouse\nNOPE1,LAMP,1,DPD,T1,Leeds\n',
    );
    const run = await cli(['import-shipments', 'shipments.csv', '--quiet']);
    assert.equal(run.code, 1, 'the unknown order still fails its row');
    const [warning] = withoutStamps(run.stderr).split('\n');
    assert.match(
      warning!,
      /^shop import-shipments: shipments\.csv: warning: column "warehouse" is not read by jl-edge and ignored \(known columns: order_number, order_no, order, line_ref, /,
    );
  });
});
