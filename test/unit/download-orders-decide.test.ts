import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decideOrderFile } from '../../src/commands/download-orders/decide.js';
import { parseOrderFile } from '../../src/formats/order-file.js';

const EXAMPLE_NAME = 'order-20260301101500123456.txt';
const example = parseOrderFile(readFileSync(new URL(`../fixtures/edge-examples/${EXAMPLE_NAME}`, import.meta.url)), {
  encoding: 'utf-8',
});
const account = { id: 7, name: 'acme' };
const nothingEarlier = (): null => null;

describe('deciding what an order file becomes (no database, no server)', () => {
  it('a clean file whose part numbers are all known becomes an order awaiting acknowledgement', () => {
    const productIds = new Map(example.lines.map((line, index) => [line.partNumber, 100 + index]));
    const decision = decideOrderFile({
      name: EXAMPLE_NAME,
      parsed: example,
      account,
      earlier: nothingEarlier,
      productIds,
    });
    assert.deepEqual(decision.file, {
      file: EXAMPLE_NAME,
      outcome: 'downloaded',
      order_number: 'Y100012345',
      lines: example.lines.length,
      problems: [],
    });
    assert.equal(decision.order?.status, 'awaiting_ack');
    assert.equal(decision.order?.accountId, 7);
    assert.deepEqual(
      decision.order?.lines.map((line) => [line.position, line.partNumber, line.productId]),
      example.lines.map((line, index) => [index + 1, line.partNumber, 100 + index]),
    );
    assert.deepEqual(decision.errors, []);
    assert.deepEqual(decision.warnings, []);
    assert.equal(decision.exchangeError, null);
  });

  it('an unknown part number is a note on the order, not a failure', () => {
    const decision = decideOrderFile({
      name: EXAMPLE_NAME,
      parsed: example,
      account,
      earlier: nothingEarlier,
      productIds: new Map(),
    });
    assert.equal(decision.file.outcome, 'downloaded');
    assert.deepEqual(decision.errors, []);
    const first = example.lines[0]!;
    assert.deepEqual(decision.warnings[0], {
      file: EXAMPLE_NAME,
      line: first.line,
      order: 'Y100012345',
      message: `note: part_number ${first.partNumber} matches no product of account acme (no product has this channel item id)`,
    });
    assert.deepEqual(
      decision.order?.errors.map((error) => error.severity),
      example.lines.map(() => 'low'),
    );
  });

  it('a file of an order already stored is a duplicate and stores nothing', () => {
    const decision = decideOrderFile({
      name: 'order-2.txt',
      parsed: example,
      account,
      earlier: (orderNumber) => (orderNumber === 'Y100012345' ? { from: EXAMPLE_NAME, status: 'shipped' } : null),
      productIds: new Map(),
    });
    const message = `order Y100012345 is already stored from ${EXAMPLE_NAME} (status shipped); this file changed nothing`;
    assert.equal(decision.order, null);
    assert.equal(decision.file.outcome, 'duplicate');
    assert.equal(decision.exchangeError, message);
    assert.deepEqual(decision.errors, [{ file: 'order-2.txt', order: 'Y100012345', message: `duplicate: ${message}` }]);
  });

  it('a file without a usable order number is rejected with its line', () => {
    const parsed = parseOrderFile(
      Buffer.from('order_number,supplier_ref\n,\nline_ref,part_number,quantity\n1,12345678,1\n4\n'),
      {
        encoding: 'utf-8',
      },
    );
    const decision = decideOrderFile({
      name: 'order-x.txt',
      parsed,
      account,
      earlier: nothingEarlier,
      productIds: new Map(),
    });
    assert.equal(decision.order, null);
    assert.equal(decision.file.outcome, 'rejected');
    assert.equal(decision.file.order_number, null);
    assert.ok(decision.errors.length > 0);
    for (const error of decision.errors) {
      assert.equal(error.file, 'order-x.txt');
      assert.match(error.message, /^rejected, no order stored: /);
    }
    assert.equal(decision.exchangeError, decision.file.problems.join('\n'));
  });
});
