import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTable, judge, missedTarget } from '../../bench/harness.js';

const seconds = (value: number, peakRssMb = 50) => ({ seconds: value, peakRssMb });

describe('npm run bench: the verdict and the one table', () => {
  it('a growth over 11 fails the bench like a missed ratio; a fixed-size benchmark shows – and has none', () => {
    const linear = judge(
      { name: 'import-products', targetRatio: 1.5, memoryLimitMb: 200 },
      '1,000,000 rows',
      seconds(30, 141),
      seconds(24),
      9.5,
    );
    const quadratic = judge({ name: 'ack-orders', targetRatio: 1.0 }, '1,000 orders', seconds(4), seconds(5), 11.2);
    const overMemory = judge(
      { name: 'import-products', targetRatio: 2.0, memoryLimitMb: 200 },
      '1,000,000 rows',
      seconds(30, 200),
      seconds(24),
      9,
    );
    const help = judge(
      { name: '--help', targetRatio: 2.0 },
      'start-up and usage text',
      seconds(0.5),
      seconds(0.25),
      null,
    );
    const failure = { name: 'download-orders', error: 'download-orders exited 70' };
    assert.deepEqual([linear, quadratic, overMemory, help, failure].map(missedTarget), [
      false,
      true,
      true,
      false,
      true,
    ]);
    assert.equal(
      formatTable([linear, quadratic, overMemory, help, failure]),
      [
        '| benchmark                       | jl-edge         | reference | ratio | target          | growth (≤ 11) | verdict           |',
        '| ------------------------------- | --------------- | --------- | ----- | --------------- | ------------- | ----------------- |',
        '| import-products: 1,000,000 rows | 30.00 s, 141 MB | 24.00 s   | 1.25  | ≤ 1.5, < 200 MB | 9.50          | ok                |',
        '| ack-orders: 1,000 orders        | 4.00 s, 50 MB   | 5.00 s    | 0.80  | ≤ 1             | 11.20         | MISSED growth     |',
        '| import-products: 1,000,000 rows | 30.00 s, 200 MB | 24.00 s   | 1.25  | ≤ 2, < 200 MB   | 9.00          | MISSED memory     |',
        '| --help: start-up and usage text | 0.50 s, 50 MB   | 0.25 s    | 2.00  | ≤ 2             | –             | ok                |',
        '| download-orders                 |                 |           |       |                 |               | ERROR (see above) |',
      ].join('\n'),
    );
  });
});
