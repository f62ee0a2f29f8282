import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ITEM_COLUMNS,
  ORDER_COLUMNS,
  isOrderFileName,
  markedNames,
  markerNamesFor,
  parseOrderFile,
  type ParsedOrder,
} from '../../src/formats/order-file.js';
import {
  COUNT_MISMATCH_MESSAGE,
  MISSING_COUNT_LINE_MESSAGE,
  parseTwoSection,
  renderTwoSection,
} from '../../src/formats/two-section.js';
import { EXAMPLE_FIRST_ITEM } from '../fixtures/orders/edge-order.js';

const EXAMPLES = new URL('../fixtures/edge-examples/', import.meta.url);
const EXAMPLE_NAME = 'order-20260301101500123456.txt';
const exampleBytes = readFileSync(new URL(EXAMPLE_NAME, EXAMPLES));
const exampleText = exampleBytes.toString('utf8');
/** The example's lines without the final line break. */
const exampleLines = exampleText.replace(/\n$/, '').split('\n');

/** A file from lines, LF after each. */
const file = (...lines: string[]): Buffer => Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8');
/** A file from lines plus a correct count line. */
const counted = (...lines: string[]): Buffer => file(...lines, String(lines.length));

const ORDER_HEADER = 'order_number,supplier_ref,test_flag';
const ORDER_VALUES = 'Y100012345,,N';
const ITEM_HEADER = 'line_ref,part_number,quantity';

const EXAMPLE_ORDER: ParsedOrder = {
  orderNumber: 'Y100012345',
  order: {
    order_number: 'Y100012345',
    supplier_ref: '',
    test_flag: 'N',
    order_date: '2026-03-01T10:14:52',
    po_enduser: '4401234567',
    retailer_ref: 'JL-88812345',
    shipping_title: 'Mr',
    shipping_full_name: 'Tom Brown',
    shipping_address_1: '12 Orchard Road',
    shipping_address_2: '',
    shipping_address_3: '',
    shipping_city: 'Leeds',
    shipping_postcode: 'LS1 4AB',
    shipping_country: 'GB',
    shipping_phone: '07700900123',
    shipping_email: 'tom.brown@example.com',
    expected_delivery_date: '2026-03-05',
    currency_code: 'GBP',
  },
  extraOrderFields: {},
  lines: [
    {
      line: 4,
      lineRef: '1',
      partNumber: '12345678',
      quantity: 2,
      unitPrice: null,
      fields: EXAMPLE_FIRST_ITEM,
      extra: {},
    },
    {
      line: 5,
      lineRef: '2',
      partNumber: '87654321',
      quantity: 1,
      unitPrice: null,
      fields: {
        line_ref: '2',
        part_number: '87654321',
        additional_ref: '',
        quantity: '1',
        description: 'Oak side table',
        promised_date: '2026-03-04T00:00:00',
        unit_cost_price: '89.00',
      },
      extra: {},
    },
  ],
  problems: [],
};

describe('order file names', () => {
  it('recognises order-<20 digits>.txt and nothing else', () => {
    assert.equal(isOrderFileName(EXAMPLE_NAME), true);
    assert.equal(isOrderFileName(`${EXAMPLE_NAME}.DONE`), false);
    assert.equal(isOrderFileName('order-2026030110150012345.txt'), false);
    assert.equal(isOrderFileName('order-20260301101500123456.ack'), false);
    assert.equal(isOrderFileName('xorder-20260301101500123456.txt'), false);
  });

  it('accepts both marker forms', () => {
    assert.deepEqual(markerNamesFor(EXAMPLE_NAME), [
      'order-20260301101500123456.txt.DONE',
      'order-20260301101500123456.DONE',
    ]);
    assert.deepEqual(markerNamesFor('README'), ['README.DONE']);
  });

  it('finds in one pass over a listing the names that have a marker of either form', () => {
    const listing = [
      'order-20260301101500000001.txt',
      'order-20260301101500000001.txt.DONE',
      'order-20260301101500000002.txt',
      'order-20260301101500000002.DONE',
      'order-20260301101500000003.txt',
      'order-20260301101500000004.txt.DONE',
      'README',
      'README.DONE',
      'notes.txt',
    ];
    const isMarked = markedNames(listing);
    const dataFiles = listing.filter((name) => !name.endsWith('.DONE'));
    const marked = dataFiles.filter(isMarked);
    assert.deepEqual(marked, ['order-20260301101500000001.txt', 'order-20260301101500000002.txt', 'README']);
    // The same answer as looking up each of a name's marker names.
    const present = new Set(listing);
    assert.deepEqual(
      marked,
      dataFiles.filter((name) => markerNamesFor(name).some((marker) => present.has(marker))),
    );
  });

  it('lists the SPEC §4.2 columns', () => {
    assert.equal(ORDER_COLUMNS.length, 20);
    assert.ok(ORDER_COLUMNS.includes('shipping_address_3'));
    assert.ok(ITEM_COLUMNS.includes('unit_price'));
  });
});

describe('parseTwoSection', () => {
  it('reads the example layout', () => {
    const layout = parseTwoSection(exampleBytes);
    assert.equal(layout.delimiter, ',');
    assert.equal(layout.declaredCount, 5);
    assert.deepEqual(layout.itemColumns, [
      'line_ref',
      'part_number',
      'additional_ref',
      'quantity',
      'description',
      'promised_date',
      'unit_cost_price',
    ]);
    assert.equal(layout.orderColumns.length, 18);
    assert.equal(layout.order.shipping_city, 'Leeds');
    assert.deepEqual(
      layout.items.map((item) => [item.line, item.fields.part_number]),
      [
        [4, '12345678'],
        [5, '87654321'],
      ],
    );
    assert.deepEqual(layout.problems, []);
  });

  it('renders what it parses', () => {
    const data = renderTwoSection({
      orderColumns: ['order_number', 'note'],
      order: ['Y100012345', 'ring, then "knock"\nthen leave'],
      itemColumns: ['line_ref', 'quantity'],
      items: [
        ['1', '2'],
        ['2', '1'],
      ],
    });
    assert.equal(
      data.toString('utf8'),
      'order_number,note\nY100012345,"ring, then ""knock""\nthen leave"\nline_ref,quantity\n1,2\n2,1\n5\n',
    );
    const layout = parseTwoSection(data);
    assert.deepEqual(layout.order, { order_number: 'Y100012345', note: 'ring, then "knock"\nthen leave' });
    assert.deepEqual(layout.problems, []);
  });

  it('renders a count of 3 for a file without items and refuses rows that do not fit their header', () => {
    const empty = { orderColumns: ['order_number'], order: ['Y100012345'], itemColumns: ['line_ref'], items: [] };
    assert.equal(renderTwoSection(empty).toString('utf8'), 'order_number\nY100012345\nline_ref\n3\n');
    assert.throws(
      () => renderTwoSection({ ...empty, order: ['Y100012345', 'extra'] }),
      /order values have 2 fields, the order header has 1/,
    );
    assert.throws(
      () => renderTwoSection({ ...empty, items: [['1', '2']] }),
      /an item has 2 fields, the item header has 1/,
    );
  });
});

describe('parseOrderFile', () => {
  it('parses the inbound example', () => {
    assert.deepEqual(parseOrderFile(exampleBytes), EXAMPLE_ORDER);
  });

  it('order file with a wrong line count', () => {
    for (const wrongCount of ['4', '6']) {
      const parsed = parseOrderFile(file(...exampleLines.slice(0, -1), wrongCount));
      assert.deepEqual(parsed.problems, [
        {
          severity: 'high',
          line: 6,
          message: 'There is a mismatch between expected lines and actual read lines within the order file',
        },
      ]);
      assert.deepEqual(parsed.lines, EXAMPLE_ORDER.lines, 'the lines are still read');
    }
    assert.equal(
      COUNT_MISMATCH_MESSAGE,
      'There is a mismatch between expected lines and actual read lines within the order file',
    );
  });

  it('missing count line', () => {
    const parsed = parseOrderFile(file(...exampleLines.slice(0, -1)));
    assert.deepEqual(parsed.problems, [{ severity: 'high', line: null, message: MISSING_COUNT_LINE_MESSAGE }]);
    assert.equal(
      MISSING_COUNT_LINE_MESSAGE,
      'missing count line: the last line should hold the number of lines before it',
    );
    assert.deepEqual(parsed.lines, EXAMPLE_ORDER.lines);
    assert.equal(parseTwoSection(file(...exampleLines.slice(0, -1))).declaredCount, null);
  });

  it('accepts a count line padded with empty fields, spaces around it, and blank lines after it', () => {
    for (const ending of ['5,,,,,,', ' 5 ', '5\n\n\n']) {
      assert.deepEqual(
        parseOrderFile(file(...exampleLines.slice(0, -1), ending)),
        EXAMPLE_ORDER,
        JSON.stringify(ending),
      );
    }
  });

  it('comma and pipe delimiters', () => {
    for (const delimiter of ['|', '\t', ';']) {
      const data = Buffer.from(exampleText.replaceAll(',', delimiter), 'utf8');
      assert.equal(parseTwoSection(data).delimiter, delimiter);
      assert.deepEqual(parseOrderFile(data), EXAMPLE_ORDER, `delimiter ${JSON.stringify(delimiter)}`);
    }
  });

  it('CRLF with a BOM', () => {
    const data = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(exampleText.replaceAll('\n', '\r\n'), 'utf8'),
    ]);
    assert.deepEqual(parseOrderFile(data), EXAMPLE_ORDER);
  });

  it('quoted fields holding the delimiter, quotes and line breaks', () => {
    // Five records over seven physical lines: the count line counts records (◇ SPEC §4.1).
    const data = file(
      'order_number,comments',
      'Y100012345,"Leave with neighbour, ""No. 12""',
      'or in the porch"',
      'line_ref,part_number,quantity,description',
      '1,12345678,2,"Cushion, 45"" square"',
      '2,87654321,1,"Oak table',
      'with drawer"',
      '5',
    );
    const parsed = parseOrderFile(data);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.order, {
      order_number: 'Y100012345',
      comments: 'Leave with neighbour, "No. 12"\nor in the porch',
    });
    assert.deepEqual(
      parsed.lines.map(({ line, lineRef, quantity, fields }) => ({
        line,
        lineRef,
        quantity,
        description: fields.description,
      })),
      [
        { line: 5, lineRef: '1', quantity: 2, description: 'Cushion, 45" square' },
        { line: 6, lineRef: '2', quantity: 1, description: 'Oak table\nwith drawer' },
      ],
    );
  });

  it('an extra unknown column is kept', () => {
    const parsed = parseOrderFile(
      counted(`${ORDER_HEADER},loyalty_tier`, `${ORDER_VALUES},gold`, `${ITEM_HEADER},Gift_Wrap`, '1,12345678,2,Y'),
    );
    assert.deepEqual(parsed, {
      orderNumber: 'Y100012345',
      order: { order_number: 'Y100012345', supplier_ref: '', test_flag: 'N' },
      extraOrderFields: { loyalty_tier: 'gold' },
      lines: [
        {
          line: 4,
          lineRef: '1',
          partNumber: '12345678',
          quantity: 2,
          unitPrice: null,
          fields: { line_ref: '1', part_number: '12345678', quantity: '2' },
          extra: { Gift_Wrap: 'Y' },
        },
      ],
      problems: [],
    });
  });

  it('keeps a column whatever its name, even __proto__', () => {
    const parsed = parseOrderFile(
      counted(`${ORDER_HEADER},__proto__`, `${ORDER_VALUES},x`, ITEM_HEADER, '1,12345678,2'),
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(Object.entries(parsed.extraOrderFields), [['__proto__', 'x']]);
    assert.equal(JSON.stringify(parsed.extraOrderFields), '{"__proto__":"x"}');
  });

  it('matches header names regardless of case, spaces and hyphens, and trims key values', () => {
    const parsed = parseOrderFile(
      counted('Order_Number,SUPPLIER-REF', ' Y100012345 ,', 'LINE_REF,Part Number,Quantity', ' 1 , 12345678 , 2 '),
    );
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.orderNumber, 'Y100012345');
    assert.deepEqual(parsed.order, { order_number: ' Y100012345 ', supplier_ref: '' });
    assert.deepEqual(
      parsed.lines.map(({ lineRef, partNumber, quantity, fields }) => ({ lineRef, partNumber, quantity, fields })),
      [
        {
          lineRef: '1',
          partNumber: '12345678',
          quantity: 2,
          fields: { line_ref: ' 1 ', part_number: ' 12345678 ', quantity: ' 2 ' },
        },
      ],
    );
  });

  it('non-numeric quantity', () => {
    const parsed = parseOrderFile(
      counted(
        ORDER_HEADER,
        ORDER_VALUES,
        ITEM_HEADER,
        '1,12345678,two',
        '2,12345678,2.5',
        '3,12345678,0',
        '4,12345678,-1',
        '5,12345678,',
        '6,12345678,3.00',
      ),
    );
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 4, message: 'line 4: quantity "two" is not a whole number' },
      { severity: 'high', line: 5, message: 'line 5: quantity "2.5" is not a whole number' },
      { severity: 'high', line: 6, message: 'line 6: quantity "0" must be at least 1' },
      { severity: 'high', line: 7, message: 'line 7: quantity "-1" must be at least 1' },
      { severity: 'high', line: 8, message: 'line 8: quantity is blank' },
    ]);
    assert.deepEqual(
      parsed.lines.map((line) => line.quantity),
      [null, null, null, null, null, 3],
    );
  });

  it('empty file', () => {
    for (const data of [Buffer.alloc(0), file('', '  ', '')]) {
      assert.deepEqual(parseOrderFile(data), {
        orderNumber: null,
        order: {},
        extraOrderFields: {},
        lines: [],
        problems: [{ severity: 'high', line: null, message: 'file is empty' }],
      });
    }
  });

  it('file not valid utf-8: read as windows-1252, with a low problem saying so', () => {
    const data = Buffer.from(exampleText.replace('Tom Brown', 'José Brown'), 'latin1');
    assert.deepEqual(parseOrderFile(data), {
      ...EXAMPLE_ORDER,
      order: { ...EXAMPLE_ORDER.order, shipping_full_name: 'José Brown' },
      problems: [
        {
          severity: 'low',
          line: null,
          message:
            "file is not valid utf-8 text: read as windows-1252; check accented names and addresses (the account's encoding may need changing)",
        },
      ],
    });
  });

  it('latin1 override', () => {
    const data = Buffer.from(exampleText.replace('Tom Brown', 'José Brown'), 'latin1');
    const parsed = parseOrderFile(data, { encoding: 'latin1' });
    assert.deepEqual(parsed, { ...EXAMPLE_ORDER, order: { ...EXAMPLE_ORDER.order, shipping_full_name: 'José Brown' } });
  });

  it('duplicate line_ref', () => {
    const parsed = parseOrderFile(
      counted(ORDER_HEADER, ORDER_VALUES, ITEM_HEADER, '1,12345678,1', '2,87654321,1', '1,11112222,3'),
    );
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 6, message: 'line 6: line_ref "1" is also used on line 4' },
    ]);
    assert.deepEqual(
      parsed.lines.map((line) => line.lineRef),
      ['1', '2', '1'],
    );
  });

  it('missing required columns', () => {
    const parsed = parseOrderFile(counted('supplier_ref,test_flag', ',N', 'line_ref,description', '1,Cushion'));
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 1, message: 'line 1: the order header has no order_number column' },
      { severity: 'high', line: 3, message: 'line 3: the item header has no part_number column' },
      { severity: 'high', line: 3, message: 'line 3: the item header has no quantity column' },
    ]);
    assert.equal(parsed.orderNumber, null);
    assert.deepEqual(parsed.lines[0], {
      line: 4,
      lineRef: '1',
      partNumber: '',
      quantity: null,
      unitPrice: null,
      fields: { line_ref: '1', description: 'Cushion' },
      extra: {},
    });
  });

  it('blank order_number, blank line_ref and blank part_number', () => {
    const parsed = parseOrderFile(counted(ORDER_HEADER, ' ,,N', ITEM_HEADER, ' ,12345678,1', '2,,1'));
    assert.equal(parsed.orderNumber, null);
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 2, message: 'line 2: order_number is blank' },
      { severity: 'high', line: 4, message: 'line 4: line_ref is blank' },
      { severity: 'high', line: 5, message: 'line 5: part_number is blank' },
    ]);
  });

  it('keeps a malformed order number as the key but reports it', () => {
    const parsed = parseOrderFile(counted(ORDER_HEADER, '100012345,,N', ITEM_HEADER, '1,12345678,1'));
    assert.equal(parsed.orderNumber, '100012345');
    assert.deepEqual(parsed.problems, [
      {
        severity: 'high',
        line: 2,
        message: 'line 2: order_number "100012345" is not one letter followed by nine digits',
      },
    ]);
  });

  it('names each missing section', () => {
    assert.deepEqual(parseOrderFile(file(ORDER_HEADER, ORDER_VALUES, ITEM_HEADER, '3')).problems, [
      { severity: 'high', line: null, message: 'the order has no item lines (line 4 onwards)' },
    ]);
    assert.deepEqual(parseOrderFile(file(ORDER_HEADER, ORDER_VALUES, '2')).problems, [
      { severity: 'high', line: null, message: 'the item header (line 3) is missing' },
    ]);
    assert.deepEqual(parseOrderFile(file(ORDER_HEADER, '1')).problems, [
      { severity: 'high', line: null, message: 'the order values (line 2) are missing' },
    ]);
    assert.deepEqual(parseOrderFile(file('0')).problems, [
      { severity: 'high', line: null, message: 'the order header (line 1) is missing' },
    ]);
  });

  it('reports an empty header line', () => {
    const parsed = parseOrderFile(counted(',,', ORDER_VALUES, ITEM_HEADER, '1,12345678,2'));
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 1, message: 'line 1: the order header is empty' },
      { severity: 'high', line: 2, message: 'line 2: 3 fields, the order header has 0' },
    ]);
    assert.equal(parsed.orderNumber, null);
  });

  it('reports rows with fewer or more fields than their header, without padding', () => {
    const parsed = parseOrderFile(
      counted(ORDER_HEADER, 'Y100012345,', ITEM_HEADER, '1,12345678', '2,87654321,1,Oak, side table'),
    );
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 2, message: 'line 2: 2 fields, the order header has 3' },
      { severity: 'high', line: 4, message: 'line 4: 2 fields, the item header has 3' },
      { severity: 'high', line: 5, message: 'line 5: 5 fields, the item header has 3' },
    ]);
    assert.deepEqual(parsed.order, { order_number: 'Y100012345', supplier_ref: '' });
    assert.deepEqual(
      parsed.lines.map(({ quantity, fields }) => ({ quantity, fields })),
      [
        { quantity: null, fields: { line_ref: '1', part_number: '12345678' } },
        { quantity: 1, fields: { line_ref: '2', part_number: '87654321', quantity: '1' } },
      ],
    );
  });

  it('tolerates a trailing delimiter on the header lines, whether the rows carry it or not', () => {
    const data = counted(`${ORDER_HEADER},`, `${ORDER_VALUES},`, `${ITEM_HEADER},`, '1,12345678,2,', '2,87654321,1');
    assert.deepEqual(parseTwoSection(data).itemColumns, ['line_ref', 'part_number', 'quantity']);
    const parsed = parseOrderFile(data);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.lines.map((line) => line.fields),
      [
        { line_ref: '1', part_number: '12345678', quantity: '2' },
        { line_ref: '2', part_number: '87654321', quantity: '1' },
      ],
    );
  });

  it('reports data under a column with no name, and a column named twice', () => {
    const parsed = parseOrderFile(
      counted(ORDER_HEADER, ORDER_VALUES, 'line_ref,part_number,quantity,,Quantity', '1,12345678,2,gift,3'),
    );
    assert.deepEqual(parsed.problems, [
      {
        severity: 'high',
        line: 3,
        message: 'line 3: column "Quantity" appears more than once in the item header; the first one is used',
      },
      {
        severity: 'high',
        line: 4,
        message: 'line 4: value "gift" is in column 4, which has no name in the item header',
      },
    ]);
    assert.equal(parsed.lines[0].quantity, 2);
  });

  it('reports a quoted field that is never closed', () => {
    const parsed = parseOrderFile(
      file(ORDER_HEADER, ORDER_VALUES, 'line_ref,part_number,quantity,description', '1,12345678,2,"Cushion', '4'),
    );
    assert.deepEqual(parsed.problems, [
      { severity: 'high', line: 4, message: 'line 4: a quoted field is never closed (it runs to the end of the file)' },
      { severity: 'high', line: null, message: MISSING_COUNT_LINE_MESSAGE },
    ]);
  });

  it('skips a blank line among the items with a low problem, and counts it', () => {
    const parsed = parseOrderFile(counted(ORDER_HEADER, ORDER_VALUES, ITEM_HEADER, '1,12345678,2', '', '2,87654321,1'));
    assert.deepEqual(parsed.problems, [{ severity: 'low', line: 5, message: 'line 5: empty line skipped' }]);
    assert.deepEqual(
      parsed.lines.map((line) => [line.line, line.lineRef]),
      [
        [4, '1'],
        [6, '2'],
      ],
    );
  });

  it('takes the unit price from unit_price only, and reports one that is not a number as low', () => {
    const parsed = parseOrderFile(
      counted(
        ORDER_HEADER,
        ORDER_VALUES,
        `${ITEM_HEADER},unit_price,unit_cost_price`,
        '1,12345678,2, 19.99 ,9.00',
        '2,87654321,1,,50.00',
        '3,11112222,1,£5,1.00',
      ),
    );
    assert.deepEqual(
      parsed.lines.map((line) => line.unitPrice),
      ['19.99', null, null],
    );
    assert.deepEqual(parsed.problems, [
      { severity: 'low', line: 6, message: 'line 6: unit_price "£5" is not a number; it is ignored' },
    ]);
  });
});
