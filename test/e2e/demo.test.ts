import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';

const DEMO = resolve(import.meta.dirname, '../../dist/demo/run-demo.js');

describe('npm run demo', () => {
  it('runs the whole cycle on a fresh sandbox, twice, and ends with exit 0', () => {
    const tmp = tempDir();
    try {
      for (const round of [1, 2]) {
        const run = spawnSync(process.execPath, [DEMO], {
          cwd: tmp.dir,
          encoding: 'utf8',
          env: { PATH: process.env.PATH },
        });
        assert.equal(run.status, 0, `round ${round}: ${run.stderr}`);
        for (const step of [
          'import-products',
          'download-orders',
          'ack-orders',
          'push-stock',
          'destinations add',
          'export-orders',
          'import-shipments --from warehouse',
          'send-shipments',
          'orders cancel',
          'send-cancels',
          'orders refund',
          'send-refunds',
          'status',
        ]) {
          assert.ok(run.stdout.includes(`$ jl-edge ${step}`), `round ${round}: ${step} not shown`);
        }
        assert.match(run.stdout, /download-orders sandbox: 3 downloaded, 1 incomplete/);
        assert.match(run.stdout, /orders: cancelled 1, incomplete 1, ready_to_ship 1, shipped 1/);
        // One buffered product, one late order (promised for yesterday, never shipped).
        assert.match(run.stdout, /\n {2}stock sent {7}8: stock 10, − buffer 2 \(product\) = 8\n/);
        assert.match(
          run.stdout,
          /\n {2}! order Y100000004 line 1 \(LAMP-BRASS\) is late: 1 unit\(s\) were due for dispatch on \d{4}-\d{2}-\d{2} \(promised_date\)\n/,
        );
        const outgoing = readdirSync(tmp.path('demo/edge/live/outgoing'));
        assert.deepEqual(
          outgoing.map((name) => name.replace(/\d{20}/, 'T')).sort(),
          [
            'cancel-T.ack',
            'cancel-T.ack.DONE',
            'order-T.ack',
            'order-T.ack',
            'order-T.ack',
            'order-T.ack.DONE',
            'order-T.ack.DONE',
            'order-T.ack.DONE',
            'tracking-T.txt',
            'tracking-T.txt',
            'tracking-T.txt.DONE',
            'tracking-T.txt.DONE',
          ],
          `round ${round} starts fresh`,
        );
        assert.equal(
          readdirSync(tmp.path('demo/edge/live/inventory')).filter((n) => n.startsWith('inventory-')).length,
          1,
        );
        // The warehouse round trip: both orders out, the cancellation after them, the shipment file collected.
        assert.deepEqual(
          readdirSync(tmp.path('demo/warehouse/orders'))
            .map((name) => name.replace(/\d{20}/, 'T'))
            .sort(),
          ['cancellations-T.csv', 'orders-T.csv'],
        );
        assert.deepEqual(readdirSync(tmp.path('demo/warehouse/inbox/done')), ['dispatched-1.csv']);
        assert.match(run.stdout, /import-shipments sandbox: 1 files, 1 processed, 0 failed/);
      }
    } finally {
      tmp.remove();
    }
  });
});
