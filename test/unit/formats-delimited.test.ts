import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_OUTBOUND,
  decodeText,
  decodeTextWithFallback,
  detectDelimiter,
  encodeText,
  isBlankRecord,
  parseDelimitedText,
  parseRecords,
  renderField,
  renderLine,
  renderWholeNumber,
} from '../../src/formats/delimited.js';

describe('decodeText', () => {
  it('decodes utf-8 by default', () => {
    assert.deepEqual(decodeText(Buffer.from('order_number\nY100012345\n', 'utf8')), {
      text: 'order_number\nY100012345\n',
    });
  });

  it('strips a UTF-8 byte-order mark', () => {
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n')]);
    assert.deepEqual(decodeText(data), { text: 'a,b\n' });
  });

  it('reports bytes that are not utf-8, naming the encoding', () => {
    assert.deepEqual(decodeText(Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x0a])), {
      error: 'file is not valid utf-8 text',
    });
  });

  it('decodes latin1 and windows-1252 when asked', () => {
    assert.deepEqual(decodeText(Buffer.from([0x4a, 0x6f, 0x73, 0xe9]), 'latin1'), { text: 'José' });
    assert.deepEqual(decodeText(Buffer.from([0x80, 0x35]), 'windows-1252'), { text: '€5' });
  });

  it('decodes bytes 0x80-0x9F as windows-1252 punctuation, not control characters (works around nodejs/node#60888)', () => {
    assert.deepEqual(decodeText(Buffer.from([0x93, 0x4f, 0x6b, 0x94, 0x92, 0x96, 0x81]), 'latin1'), {
      text: '“Ok”’–\u0081',
    });
  });

  it('decodes a file with a UTF-8 byte-order mark as UTF-8 even under a latin1 override', () => {
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('José', 'utf8')]);
    assert.deepEqual(decodeText(data, 'latin1'), { text: 'José' });
  });

  it('reports an unknown encoding label', () => {
    assert.deepEqual(decodeText(Buffer.from('a'), 'klingon'), { error: 'unknown text encoding "klingon"' });
  });
});

describe('decodeTextWithFallback (order-type files must yield their order)', () => {
  it('decodes valid text in the account encoding with no problem', () => {
    assert.deepEqual(decodeTextWithFallback(Buffer.from('Zoë', 'utf8')), { text: 'Zoë', problem: null });
  });

  it('reads a latin1 "Zoë" on a utf-8 account as windows-1252, with a low problem saying so', () => {
    assert.deepEqual(decodeTextWithFallback(Buffer.from([0x5a, 0x6f, 0xeb, 0x20, 0x80, 0x35])), {
      text: 'Zoë €5',
      problem: {
        severity: 'low',
        message:
          "file is not valid utf-8 text: read as windows-1252; check accented names and addresses (the account's encoding may need changing)",
      },
    });
  });

  it('falls back the same way for an unknown encoding label', () => {
    assert.equal(decodeTextWithFallback(Buffer.from('a'), 'klingon').problem?.severity, 'low');
  });

  it('gives a high problem, and the bytes read as windows-1252, when they are not text in either encoding', () => {
    assert.deepEqual(decodeTextWithFallback(Buffer.from([0x59, 0xff, 0x00, 0x31])), {
      text: 'Yÿ\u00001',
      problem: {
        severity: 'high',
        message:
          'file is not valid utf-8 text, nor windows-1252 text (it holds control bytes): stored as received, check the raw file',
      },
    });
  });
});

describe('detectDelimiter', () => {
  it('picks the candidate that occurs most in the header line', () => {
    assert.equal(detectDelimiter('order_number,supplier_ref,test_flag'), ',');
    assert.equal(detectDelimiter('order_number|supplier_ref|test_flag'), '|');
    assert.equal(detectDelimiter('order_number\tsupplier_ref\ttest_flag'), '\t');
    assert.equal(detectDelimiter('order_number;supplier_ref;test_flag'), ';');
  });

  it('ignores delimiters inside quotes', () => {
    assert.equal(detectDelimiter('"a,b,c,d"|"e ""x,y"" f"|g'), '|');
  });

  it('prefers the comma on a tie and when no candidate occurs', () => {
    assert.equal(detectDelimiter('a,b|c'), ',');
    assert.equal(detectDelimiter('order_number'), ',');
    assert.equal(detectDelimiter(''), ',');
  });
});

describe('parseRecords', () => {
  it('splits LF, CRLF and lone-CR lines and numbers them', () => {
    assert.deepEqual(parseRecords('a,b\r\nc,d\ne,f\rg,h', ','), {
      records: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['c', 'd'] },
        { line: 3, fields: ['e', 'f'] },
        { line: 4, fields: ['g', 'h'] },
      ],
      problems: [],
    });
  });

  it('does not make a record of the final line break but keeps empty lines in the middle', () => {
    assert.deepEqual(parseRecords('a\n\n  \nb\n', ','), {
      records: [
        { line: 1, fields: ['a'] },
        { line: 2, fields: [''] },
        { line: 3, fields: ['  '] },
        { line: 4, fields: ['b'] },
      ],
      problems: [],
    });
    assert.deepEqual(parseRecords('', ','), { records: [], problems: [] });
  });

  it('keeps empty fields, including after a trailing delimiter', () => {
    assert.deepEqual(parseRecords('a,,b,\n,\n', ',').records, [
      { line: 1, fields: ['a', '', 'b', ''] },
      { line: 2, fields: ['', ''] },
    ]);
  });

  it('reads quoted fields holding the delimiter, doubled quotes and line breaks, numbering from the start line', () => {
    const text = 'x,"a,b","say ""hi"""\r\n1,"two\r\nlines","three\nmore\nlines"\n2,last,"""quoted"""\n';
    assert.deepEqual(parseRecords(text, ','), {
      records: [
        { line: 1, fields: ['x', 'a,b', 'say "hi"'] },
        { line: 2, fields: ['1', 'two\r\nlines', 'three\nmore\nlines'] },
        { line: 6, fields: ['2', 'last', '"quoted"'] },
      ],
      problems: [],
    });
  });

  it('treats a quote inside an unquoted field as an ordinary character', () => {
    assert.deepEqual(parseRecords('12" frame,b\n', ',').records, [{ line: 1, fields: ['12" frame', 'b'] }]);
  });

  it('reports a quoted field that is never closed, from the line where it opens', () => {
    assert.deepEqual(parseRecords('a,b\n1,"open\n2,x\n', ','), {
      records: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['1', 'open\n2,x\n'] },
      ],
      problems: [{ line: 2, message: 'line 2: a quoted field is never closed (it runs to the end of the file)' }],
    });
  });

  it('reports text after a closing quote but ignores spaces there', () => {
    assert.deepEqual(parseRecords('"ab"cd,"ef"  ,g\n', ','), {
      records: [{ line: 1, fields: ['abcd', 'ef', 'g'] }],
      problems: [{ line: 1, message: 'line 1: text "cd" follows the closing quote of a field' }],
    });
  });

  it('refuses a delimiter that cannot work', () => {
    assert.throws(() => parseRecords('a', '"'), RangeError);
    assert.throws(() => parseRecords('a', ',,'), RangeError);
  });
});

describe('parseDelimitedText and isBlankRecord', () => {
  it('detects the delimiter from the first line only', () => {
    const parsed = parseDelimitedText('a|b\nc,d|e\n');
    assert.equal(parsed.delimiter, '|');
    assert.deepEqual(parsed.records, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c,d', 'e'] },
    ]);
  });

  it('calls empty and whitespace-only lines blank, and nothing else', () => {
    assert.equal(isBlankRecord({ line: 1, fields: [''] }), true);
    assert.equal(isBlankRecord({ line: 1, fields: [' \t'] }), true);
    assert.equal(isBlankRecord({ line: 1, fields: ['', ''] }), false);
    assert.equal(isBlankRecord({ line: 1, fields: ['0'] }), false);
  });
});

describe('rendering', () => {
  it('quotes a field only when it holds the delimiter, a quote or a line break', () => {
    assert.equal(renderField('plain text', ','), 'plain text');
    assert.equal(renderField('a,b', ','), '"a,b"');
    assert.equal(renderField('a,b', ';'), 'a,b');
    assert.equal(renderField('a;b', ';'), '"a;b"');
    assert.equal(renderField('12" frame', ','), '"12"" frame"');
    assert.equal(renderField('two\nlines', ','), '"two\nlines"');
    assert.equal(renderField('cr\rhere', ','), '"cr\rhere"');
    assert.equal(renderField('', ','), '');
  });

  it('renders a line with the configured delimiter and line ending', () => {
    assert.equal(renderLine(['a', 'b,c', ''], DEFAULT_OUTBOUND), 'a,"b,c",\n');
    assert.equal(renderLine(['a', 'b,c', ''], { delimiter: '|', lineEnding: '\r\n', encoding: 'utf-8' }), 'a|b,c|\r\n');
  });

  it('round-trips awkward fields through renderLine and parseRecords', () => {
    const rows = [
      ['', 'plain', 'a,b', '"', '""', 'x"y', 'line\nbreak', 'crlf\r\nbreak', ' spaced '],
      ['|', 'a|b', ';', '\t', 'é€'],
      [''],
    ];
    for (const delimiter of [',', '|', '\t', ';']) {
      const options = { delimiter, lineEnding: '\r\n', encoding: 'utf-8' };
      const text = rows.map((row) => renderLine(row, options)).join('');
      const parsed = parseRecords(text, delimiter);
      assert.deepEqual(parsed.problems, [], `delimiter ${JSON.stringify(delimiter)}`);
      assert.deepEqual(
        parsed.records.map((record) => record.fields),
        rows,
        `delimiter ${JSON.stringify(delimiter)}`,
      );
    }
  });

  it('renders whole numbers and refuses anything else', () => {
    assert.equal(renderWholeNumber(0, 'quantity'), '0');
    assert.equal(renderWholeNumber(12, 'quantity'), '12');
    assert.throws(() => renderWholeNumber(-1, 'quantity'), /quantity must be a whole number of at least 0, got -1/);
    assert.throws(() => renderWholeNumber(1.5, 'quantity'), RangeError);
    assert.throws(() => renderWholeNumber(Number.NaN, 'quantity'), RangeError);
  });
});

describe('encodeText', () => {
  it('writes UTF-8 without a byte-order mark', () => {
    assert.deepEqual(
      encodeText('José €', 'utf-8'),
      Buffer.from([0x4a, 0x6f, 0x73, 0xc3, 0xa9, 0x20, 0xe2, 0x82, 0xac]),
    );
    assert.deepEqual(encodeText('a', 'utf8'), Buffer.from('a'));
  });

  it('writes latin1 and windows-1252 with the same table decodeText reads', () => {
    assert.deepEqual(encodeText('José', 'latin1'), Buffer.from([0x4a, 0x6f, 0x73, 0xe9]));
    assert.deepEqual(encodeText('€5', 'windows-1252'), Buffer.from([0x80, 0x35]));
    const text = 'Crème brûlée – 5€ ‘quoted’';
    assert.deepEqual(decodeText(encodeText(text, 'latin1'), 'latin1'), { text });
  });

  it('writes "?" for a character the encoding cannot hold', () => {
    assert.deepEqual(encodeText('a→b😀', 'latin1'), Buffer.from('a?b?', 'latin1'));
  });

  it('refuses unknown and multi-byte encodings other than utf-8', () => {
    assert.throws(() => encodeText('a', 'klingon'), RangeError);
    assert.throws(() => encodeText('a', 'shift_jis'), /cannot write shift_jis/);
  });
});
