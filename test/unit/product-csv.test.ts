import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CsvRecordSplitter,
  CsvRecordTooLongError,
  MAX_RECORD_LENGTH,
  isBlankRecord,
  mapProductHeader,
  readProductRecord,
  type CsvRecord,
  type ProductColumns,
} from '../../src/formats/product-csv.js';
import { chunks } from '../../src/db/repo/products.js';

/** Splits a whole text, fed in pieces of `pieceLength` characters (every boundary case at 1). */
function split(text: string, pieceLength = text.length || 1, delimiter?: string): CsvRecord[] {
  const splitter = new CsvRecordSplitter(delimiter);
  const records: CsvRecord[] = [];
  for (let start = 0; start < text.length; start += pieceLength)
    records.push(...splitter.push(text.slice(start, start + pieceLength)));
  records.push(...splitter.end());
  return records;
}

function columnsOf(header: string): ProductColumns {
  const mapped = mapProductHeader(header.split(','));
  if ('error' in mapped) throw new Error(mapped.error);
  return mapped.columns;
}

describe('CsvRecordSplitter', () => {
  const sample =
    'sku,title,stock\r\n' +
    'A,"Oak frame, 12"" x 16""",3\r\n' +
    'B,"two\nlines",4\n' +
    '\n' +
    'C,"three\r\nlines\rhere",5\n' +
    'D,12" frame,6';

  const expected: CsvRecord[] = [
    { line: 1, fields: ['sku', 'title', 'stock'] },
    { line: 2, fields: ['A', 'Oak frame, 12" x 16"', '3'] },
    { line: 3, fields: ['B', 'two\nlines', '4'] },
    { line: 5, fields: [''] },
    { line: 6, fields: ['C', 'three\r\nlines\rhere', '5'] },
    { line: 9, fields: ['D', '12" frame', '6'] },
  ];

  it('numbers records by the line they start on: a quoted field spanning lines counts from its first', () => {
    assert.deepEqual(split(sample), expected);
  });

  it('gives the same records however the text is cut into pieces (1, 2, 3, 7 characters)', () => {
    for (const piece of [1, 2, 3, 7]) assert.deepEqual(split(sample, piece), expected, `pieces of ${piece}`);
  });

  it('splits lines ending in a lone CR, and a CRLF cut between two pieces', () => {
    assert.deepEqual(split('sku,stock\rA,1\rB,2\r'), [
      { line: 1, fields: ['sku', 'stock'] },
      { line: 2, fields: ['A', '1'] },
      { line: 3, fields: ['B', '2'] },
    ]);
    const splitter = new CsvRecordSplitter();
    assert.deepEqual(splitter.push('sku,stock\r'), []);
    assert.deepEqual(splitter.push('\nA,1\r'), [{ line: 1, fields: ['sku', 'stock'] }]);
    assert.deepEqual(
      [...splitter.push('\nB,2'), ...splitter.end()],
      [
        { line: 2, fields: ['A', '1'] },
        { line: 3, fields: ['B', '2'] },
      ],
    );
  });

  it('strips a byte-order mark and detects the delimiter from the header (semicolon, tab, pipe)', () => {
    assert.deepEqual(split('\uFEFFsku;stock\nA;1\n'), [
      { line: 1, fields: ['sku', 'stock'] },
      { line: 2, fields: ['A', '1'] },
    ]);
    assert.deepEqual(split('sku\tstock\nA\t1\n', 4)[1], { line: 2, fields: ['A', '1'] });
    assert.deepEqual(split('\n\nsku|stock\nA|1')[3], { line: 4, fields: ['A', '1'] });
  });

  it('reports a quoted field that is never closed, and text after a closing quote, on the record', () => {
    assert.deepEqual(split('sku,title\nA,"open\nB,x\n'), [
      { line: 1, fields: ['sku', 'title'] },
      {
        line: 2,
        fields: ['A', 'open\nB,x\n'],
        problem: 'a quoted field is never closed (it runs to the end of the file)',
      },
    ]);
    assert.deepEqual(split('sku,title\nA,"ab"cd,x\n')[1], {
      line: 2,
      fields: ['A', 'abcd', 'x'],
      problem: 'text "cd" follows the closing quote of a field',
    });
  });

  it('gives up on a record that never ends instead of buffering the whole file', () => {
    const splitter = new CsvRecordSplitter();
    splitter.push('sku,title\nA,1\nB,"');
    const filler = 'x'.repeat(64 * 1024);
    assert.throws(
      () => {
        for (let read = 0; read <= MAX_RECORD_LENGTH + filler.length; read += filler.length) splitter.push(filler);
      },
      (err: unknown) => err instanceof CsvRecordTooLongError && err.line === 3,
    );
  });

  it('treats only an empty (or all-space) single-field record as blank', () => {
    assert.equal(isBlankRecord({ line: 1, fields: ['  '] }), true);
    assert.equal(isBlankRecord({ line: 1, fields: ['', ''] }), false);
  });
});

describe('mapProductHeader', () => {
  it('matches header names leniently: case, spaces, "-" and "_"', () => {
    const mapped = mapProductHeader(['SKU', 'Stock Number', 'EAN', 'Lead-Time Days', ' stock ', 'Title', 'Colour']);
    assert.ok('columns' in mapped);
    assert.deepEqual(mapped.columns.index, { sku: 0, channelItemId: 1, ean: 2, leadTimeDays: 3, stock: 4, title: 5 });
    assert.deepEqual(mapped.columns.present, ['channelItemId', 'ean', 'leadTimeDays', 'stock', 'title']);
    assert.deepEqual(mapped.columns.ignored, ['Colour']);
    assert.equal(mapped.columns.width, 7);
  });

  it('knows every name of the channel item id', () => {
    for (const name of [
      'channel_item_id',
      'ChannelItemId',
      'stock_number',
      'Stock Number',
      'part_number',
      'PART-NUMBER',
    ]) {
      const mapped = mapProductHeader(['sku', name]);
      assert.ok('columns' in mapped && mapped.columns.index.channelItemId === 1, name);
    }
  });

  it('refuses a header without a sku column, naming the header', () => {
    assert.deepEqual(mapProductHeader(['part_number', 'stock']), {
      error: 'the header has no sku column (header: "part_number,stock")',
    });
  });

  it('refuses two columns giving the same field', () => {
    assert.deepEqual(mapProductHeader(['sku', 'channel_item_id', 'Stock Number']), {
      error: 'columns "channel_item_id" and "Stock Number" both give the channel item id: keep one',
    });
  });
});

describe('readProductRecord', () => {
  const columns = columnsOf('sku,channel_item_id,ean,lead_time_days,stock,title');
  const read = (line: number, text: string) => readProductRecord({ line, fields: text.split(',') }, columns);

  it('reads a full row, trimming values, with empty optional values as null', () => {
    assert.deepEqual(read(2, ' A-1 ,01234567, 5012345678900 ,3,-4, Oak frame '), {
      line: 2,
      sku: 'A-1',
      values: {
        sku: 'A-1',
        channelItemId: '01234567',
        ean: '5012345678900',
        leadTimeDays: 3,
        stock: -4,
        title: 'Oak frame',
      },
    });
    assert.deepEqual(read(3, 'B,,,,0,').values, {
      sku: 'B',
      channelItemId: null,
      ean: null,
      leadTimeDays: null,
      stock: 0,
      title: null,
    });
  });

  it('reads only the columns the file has', () => {
    const stockOnly = columnsOf('sku,stock');
    assert.deepEqual(readProductRecord({ line: 2, fields: ['A', '7'] }, stockOnly).values, { sku: 'A', stock: 7 });
  });

  it('names the column and the reason of every bad value', () => {
    assert.deepEqual(read(4, ',1234567,50123456789012345,-1,2.5,ok').problems, [
      { column: 'sku', message: 'sku is empty' },
      { column: 'channel_item_id', message: 'channel item id must be 8 digits or empty, got "1234567"' },
      { column: 'ean', message: 'ean must be at most 14 digits, got "50123456789012345"' },
      { column: 'lead_time_days', message: 'lead time must be a whole number of days, 0 or more, got "-1"' },
      { column: 'stock', message: 'stock must be a whole number, got "2.5"' },
    ]);
    assert.deepEqual(read(5, `${'S'.repeat(65)},,ABC,x,,${'t'.repeat(256)}`).problems, [
      { column: 'sku', message: 'sku is longer than 64 characters (65)' },
      { column: 'ean', message: 'ean must be at most 14 digits, got "ABC"' },
      { column: 'lead_time_days', message: 'lead time must be a whole number of days, 0 or more, got "x"' },
      { column: 'stock', message: 'stock must be a whole number, got ""' },
      { column: 'title', message: 'title is longer than 255 characters (256)' },
    ]);
  });

  it('counts characters, not UTF-16 units, and refuses text that was not UTF-8', () => {
    assert.equal(read(2, `A,,,,1,${'🌳'.repeat(255)}`).values?.title, '🌳'.repeat(255));
    assert.deepEqual(read(3, 'A,,,,1,Caf\uFFFD').problems, [
      { column: 'title', message: 'title is not valid UTF-8 text (save the file as UTF-8)' },
    ]);
  });

  it('refuses stock and lead times beyond a 32-bit integer', () => {
    assert.deepEqual(read(2, 'A,,,2147483648,-2147483649,').problems, [
      { column: 'lead_time_days', message: 'lead time must be a whole number of days, 0 or more, got "2147483648"' },
      { column: 'stock', message: 'stock must be a whole number, got "-2147483649"' },
    ]);
    assert.deepEqual(read(3, 'A,,,2147483647,-2147483648,').values, {
      sku: 'A',
      channelItemId: null,
      ean: null,
      leadTimeDays: 2147483647,
      stock: -2147483648,
      title: null,
    });
  });

  it('refuses a row whose field count differs from the header, and a quoting defect', () => {
    assert.deepEqual(read(6, 'A,1,2'), {
      line: 6,
      sku: '',
      problems: [{ message: 'the row has 3 fields, the header has 6' }],
    });
    assert.deepEqual(
      readProductRecord(
        { line: 7, fields: ['A', '', '', '', '1', 'x'], problem: 'text "y" follows the closing quote of a field' },
        columns,
      ),
      {
        line: 7,
        sku: '',
        problems: [{ message: 'text "y" follows the closing quote of a field' }],
      },
    );
  });
});

describe('chunks (statement sizes)', () => {
  it('cuts full statements, then powers of two, so SQLite keeps few statement shapes', () => {
    const sizes = (n: number) =>
      [
        ...chunks(
          Array.from({ length: n }, (_, i) => i),
          500,
        ),
      ].map((c) => c.length);
    assert.deepEqual(sizes(1300), [500, 500, 256, 32, 8, 4]);
    assert.deepEqual(sizes(1), [1]);
    assert.deepEqual(sizes(0), []);
    assert.deepEqual([...chunks([1, 2, 3], 500)], [[1, 2], [3]]);
  });
});
