import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProductFileReader } from '../../src/commands/import-products/reader.js';

/** A text stream fed piece by piece, as stdin would be. */
function input(...pieces: string[]): PassThrough {
  const stream = new PassThrough();
  stream.setEncoding('utf8');
  for (const piece of pieces) stream.write(piece);
  stream.end();
  return stream;
}

async function drain(reader: ProductFileReader): Promise<{ line: number; sku: string; ok: boolean }[][]> {
  const batches = [];
  for (;;) {
    const batch = reader.takeReady();
    if (batch) batches.push(batch.map((record) => ({ line: record.line, sku: record.sku, ok: !record.problems })));
    else if (reader.finished) return batches;
    else await reader.waitForInput(Infinity);
  }
}

describe('reading a product file (no database)', () => {
  it('maps the header after blank lines, then hands out validated rows in batches with their line numbers', async () => {
    const reader = new ProductFileReader(input('\n', 'sku,st', 'ock\nA,1\nB,x\n\nC,3\n'), 2);
    const header = await reader.header();
    assert.ok('columns' in header);
    assert.deepEqual(header.columns.present, ['stock']);
    assert.deepEqual(await drain(reader), [
      [
        { line: 3, sku: 'A', ok: true },
        { line: 4, sku: 'B', ok: false },
      ],
      [{ line: 6, sku: 'C', ok: true }],
    ]);
    assert.equal(reader.problem, null);
  });

  it('a header without a sku column is reported with its line', async () => {
    const reader = new ProductFileReader(input('\nstock,title\n1,x\n'), 10);
    const header = await reader.header();
    assert.ok('error' in header);
    assert.equal(header.line, 2);
    assert.match(header.error, /sku/);
  });

  it('an empty file says it needs a header', async () => {
    const reader = new ProductFileReader(input(''), 10);
    assert.deepEqual(await reader.header(), {
      error: 'the file is empty: it needs a header line with at least a sku column',
      line: undefined,
    });
  });
});
