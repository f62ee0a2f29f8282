import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addDays, fileNameToken, isFileNameToken, londonDate } from '../../src/formats/file-name-token.js';
import { isStockErrorFileName, parseStockErrorFile } from '../../src/formats/stock-errors.js';

const EXAMPLES = new URL('../fixtures/edge-examples/', import.meta.url);

describe('fileNameToken', () => {
  const now = new Date('2026-03-01T10:15:02.123Z');

  it('is yyyymmddhhmmss in UTC then six microsecond digits', () => {
    assert.equal(fileNameToken(now), '20260301101502123000');
    // 00:30 on 1 July in London (BST) is still 30 June in UTC.
    assert.equal(fileNameToken(new Date('2026-07-01T00:30:00+01:00')), '20260630233000000000');
    assert.equal(isFileNameToken(fileNameToken(now)), true);
  });

  it('keeps the clock value when it sorts after the previous token', () => {
    assert.equal(fileNameToken(now, '20260301101502122999'), '20260301101502123000');
  });

  it('token bump: the same millisecond, or a clock that stepped back, gives previous + 1 µs', () => {
    assert.equal(fileNameToken(now, '20260301101502123000'), '20260301101502123001');
    assert.equal(fileNameToken(now, '20260301101502123001'), '20260301101502123002');
    assert.equal(fileNameToken(now, '20260301101600000000'), '20260301101600000001');
  });

  it('token bump carries into the seconds, minutes and year so the token stays a real time', () => {
    assert.equal(fileNameToken(now, '20260301101559999999'), '20260301101600000000');
    assert.equal(fileNameToken(now, '20261231235959999999'), '20270101000000000000');
  });

  it('gives strictly increasing tokens for a burst of calls', () => {
    let previous: string | undefined;
    const tokens: string[] = [];
    for (let call = 0; call < 1500; call++) {
      previous = fileNameToken(now, previous);
      tokens.push(previous);
    }
    assert.deepEqual([...tokens].sort(), tokens);
    assert.equal(new Set(tokens).size, tokens.length);
    assert.equal(tokens.at(-1), '20260301101502124499');
  });

  it('refuses a previous token that is not 20 digits', () => {
    assert.throws(() => fileNameToken(now, '2026'), RangeError);
  });
});

describe('londonDate and addDays', () => {
  it('gives the calendar date in Europe/London', () => {
    assert.equal(londonDate(new Date('2026-01-15T23:30:00Z')), '2026-01-15');
    assert.equal(londonDate(new Date('2026-06-30T23:30:00Z')), '2026-07-01');
    assert.equal(londonDate(new Date('2026-03-29T00:59:59Z')), '2026-03-29');
    assert.equal(londonDate(new Date('2026-10-24T23:00:00Z')), '2026-10-25');
  });

  it('adds calendar days across months, years and leap days', () => {
    assert.equal(addDays('2026-03-01', 3), '2026-03-04');
    assert.equal(addDays('2026-02-27', 2), '2026-03-01');
    assert.equal(addDays('2028-02-28', 1), '2028-02-29');
    assert.equal(addDays('2026-12-30', 5), '2027-01-04');
    assert.equal(addDays('2026-03-01', -1), '2026-02-28');
    assert.equal(addDays('2026-03-29', 0), '2026-03-29');
  });

  it('refuses a date that does not exist or is not yyyy-mm-dd', () => {
    assert.throws(() => addDays('2026-02-30', 1), RangeError);
    assert.throws(() => addDays('1/3/2026', 1), RangeError);
    assert.throws(() => addDays('2026-03-01', 1.5), RangeError);
  });
});

describe('stock error files', () => {
  it('parses the example error file', () => {
    const data = readFileSync(new URL('inventory-20260301101500000001-errors.csv', EXAMPLES));
    assert.deepEqual(parseStockErrorFile(data), {
      errors: [{ line: 2, partNumber: '87654321', message: 'Part number not found for this supplier' }],
      problems: [],
    });
  });

  it('finds the part number and message columns under other names and delimiters', () => {
    const data = Buffer.from(
      'Stock Number|Error Code|Error Message\r\n12345678|E12|Lead time too long\r\n87654321||\r\n',
      'utf8',
    );
    assert.deepEqual(parseStockErrorFile(data), {
      errors: [
        { line: 2, partNumber: '12345678', message: 'E12; Lead time too long' },
        { line: 3, partNumber: '87654321', message: '(no message given)' },
      ],
      problems: [],
    });
  });

  it('uses every other field as the message when there is no message column', () => {
    const data = Buffer.from('PartNumber,field,value\n12345678,free_stock,-1\n', 'utf8');
    assert.deepEqual(parseStockErrorFile(data).errors, [
      { line: 2, partNumber: '12345678', message: 'field: free_stock; value: -1' },
    ]);
  });

  it('reports rows without a part number and a header without a part number column', () => {
    assert.deepEqual(parseStockErrorFile(Buffer.from('part_number,reason\n,bad row\n\n12345678,"multi\nline"\n')), {
      errors: [{ line: 4, partNumber: '12345678', message: 'multi\nline' }],
      problems: [{ line: 2, message: 'line 2: no part number' }],
    });
    assert.deepEqual(parseStockErrorFile(Buffer.from('sku,error\nA1,bad\n')), {
      errors: [],
      problems: [
        { line: 1, message: 'line 1: no part number column in the header (looked for part_number or stock_number)' },
      ],
    });
  });

  it('reads an empty file or a header alone as no errors', () => {
    assert.deepEqual(parseStockErrorFile(Buffer.alloc(0)), { errors: [], problems: [] });
    assert.deepEqual(parseStockErrorFile(Buffer.from('part_number,error\n')), { errors: [], problems: [] });
  });

  it('reads bytes not valid in the account encoding as windows-1252, refuses binary, honours an encoding override', () => {
    const data = Buffer.from('part_number,error\n12345678,Caf\u00e9 not allowed\n', 'latin1');
    assert.deepEqual(parseStockErrorFile(data), {
      errors: [{ line: 2, partNumber: '12345678', message: 'Café not allowed' }],
      problems: [],
    });
    assert.deepEqual(parseStockErrorFile(Buffer.from([0, 1, 2, 0xff, 0])), {
      errors: [],
      problems: [
        {
          line: null,
          message:
            'file is not valid utf-8 text, nor windows-1252 text (it holds control bytes): stored as received, check the raw file',
        },
      ],
    });
    assert.deepEqual(parseStockErrorFile(data, { encoding: 'latin1' }).errors, [
      { line: 2, partNumber: '12345678', message: 'Café not allowed' },
    ]);
  });

  it('names error files: .csv and .txt, not markers or temporary dot-files', () => {
    assert.equal(isStockErrorFileName('inventory-20260301101500000001-errors.csv'), true);
    assert.equal(isStockErrorFileName('errors.TXT'), true);
    assert.equal(isStockErrorFileName('inventory-20260301101500000001-errors.csv.DONE'), false);
    assert.equal(isStockErrorFileName('.inventory-20260301101500000001.csv'), false);
    assert.equal(isStockErrorFileName('report.xlsx'), false);
  });
});
