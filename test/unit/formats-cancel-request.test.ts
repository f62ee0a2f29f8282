import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isCancelRequestFileName, parseCancelRequest } from '../../src/formats/cancel-request.js';
import { COUNT_MISMATCH_MESSAGE } from '../../src/formats/two-section.js';

const EXAMPLE = readFileSync(new URL('../fixtures/edge-examples/cancel-20260302090000000001.txt', import.meta.url));
const text = (lines: string[]): Buffer => Buffer.from(lines.join('\n') + '\n');

describe('customer cancellation request files', () => {
  it('names: cancel-<20 digits>.txt only (the outbound cancel-<token>.ack is ours)', () => {
    assert.equal(isCancelRequestFileName('cancel-20260302090000000001.txt'), true);
    assert.equal(isCancelRequestFileName('cancel-20260302090000000001.ack'), false);
    assert.equal(isCancelRequestFileName('cancel-2026030209000000001.txt'), false);
    assert.equal(isCancelRequestFileName('order-20260302090000000001.txt'), false);
  });

  it('the example: one unit of line 1; line 2 has an empty quantity and is not part of the request', () => {
    assert.deepEqual(parseCancelRequest(EXAMPLE), {
      orderNumber: 'Y100012345',
      order: { order_number: 'Y100012345', supplier_ref: '', cancel_date: '2026-03-02T09:00:00' },
      lines: [
        {
          line: 4,
          lineRef: '1',
          quantity: 1,
          reason: 'Customer changed mind',
          fields: { line_ref: '1', part_number: '12345678', quantity: '1', reason: 'Customer changed mind' },
        },
      ],
      problems: [],
    });
  });

  it('other delimiters and header spellings; an order-section reason applies to lines without their own; 0 is not requested', () => {
    const parsed = parseCancelRequest(
      Buffer.from(
        '\ufeffOrder Number|Cancel Reason\r\nY100000001|Ordered twice\r\nLine_Ref|Quantity\r\n1|2.00\r\n2|0\r\n5\r\n',
      ),
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.lines.map((line) => [line.lineRef, line.quantity, line.reason]),
      [['1', 2, 'Ordered twice']],
    );
  });

  it('defects are high problems naming their line', () => {
    const cases: [Buffer, string[]][] = [
      [
        text(['order_number', 'Y100000001', 'line_ref,quantity', '1,two', '4']),
        ['line 4: quantity "two" is not a whole number of units'],
      ],
      [text(['order_number', 'Y100000001', 'line_ref,quantity', '1,1', '9']), [COUNT_MISMATCH_MESSAGE]],
      [text(['order_number', '', 'line_ref,quantity', '1,1', '4']), ['line 2: order_number is blank']],
      [text(['order_number', 'Y100000001', 'line_ref', '1', '4']), ['line 3: the item header has no quantity column']],
      [
        text(['order_number', 'Y100000001', 'line_ref,quantity', '1,1', '1,2', '5']),
        ['line 5: line_ref "1" is also requested on line 4'],
      ],
      [
        text(['order_number', 'Y100000001', 'line_ref,quantity', '1,', '4']),
        ['the request names no units: every line has an empty quantity'],
      ],
    ];
    for (const [file, expected] of cases) {
      const problems = parseCancelRequest(file).problems;
      assert.deepEqual(
        problems.map((problem) => [problem.severity, problem.message]),
        expected.map((message) => ['high', message]),
      );
    }
  });

  it('a request without a reason column has no reason (the acknowledgement then uses the default)', () => {
    const [line] = parseCancelRequest(text(['order_number', 'Y100000001', 'line_ref,quantity', '1,1', '4'])).lines;
    assert.equal(line.reason, null);
  });
});
