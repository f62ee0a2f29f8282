/**
 * Many accounts (SPEC §5.2 `--concurrency`): the accounts of a step run in parallel; a frozen server
 * holds up only its own account, until that account's deadline; the output stays one line per account
 * in account order, the exit code is the worst of them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL } from '../helpers/test-db.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { withoutStamps } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { EdgeWorld } from '../fixtures/orders/edge-world.js';

describe(`accounts in parallel${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
  // "acme" (first by name) talks to the sshd, which is frozen in these tests; "bravo" and "charlie" are
  // local folders with one order each; "delta"'s folder does not exist (exit 1).
  const world = EdgeWorld.perTest(async (w) => {
    // In-process: the runs after them are what is tested.
    const jlEdge = inProcess({ db: w.db, dir: w.dir });
    for (const [name, order] of [
      ['bravo', 'Y100000001'],
      ['charlie', 'Y100000002'],
    ] as const) {
      const incoming = join(w.dir, name, 'live/incoming');
      mkdirSync(incoming, { recursive: true });
      writeFileSync(
        join(incoming, orderFileName(1)),
        orderFile({ order: orderSection(order), items: [item('1', '11111111', '1')] }),
      );
      writeFileSync(join(incoming, `${orderFileName(1)}.DONE`), '');
      await jlEdge.addLocalAccount(name, join(w.dir, name));
    }
    await jlEdge.addLocalAccount('delta', join(w.dir, 'missing'));
    for (const name of ['bravo', 'charlie'])
      w.exec(
        `insert into products (account_id, sku, channel_item_id, created_at, updated_at)
         select id, 'SKU-1', '11111111', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z' from accounts where name = ?`,
        name,
      );
  });

  /** When each account's download run ended, in the order the runs ended. */
  const endOrder = (): string[] =>
    world
      .rows<{ name: string }>(
        `select accounts.name from runs join accounts on accounts.id = runs.account_id
         where runs.step = 'download-orders' order by runs.ended_at, runs.id`,
      )
      .map((r) => r.name);

  it('a frozen account holds up only itself; lines in account order; the worst exit code', async () => {
    world.server.freezeListener();
    try {
      const run = await world.cli(['download-orders', '--concurrency', '4', '--timeout', '3']);
      assert.equal(run.code, 3, run.stderr);
      const lines = run.stdout.split('\n');
      assert.deepEqual(lines, [
        'download-orders bravo: 1 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 0 skipped',
        'download-orders charlie: 1 downloaded, 0 incomplete, 0 duplicates, 0 rejected, 0 skipped',
        '',
      ]);
      const problems = withoutStamps(run.stderr).split('\n').filter(Boolean);
      assert.equal(problems.length, 2, run.stderr);
      assert.match(problems[0]!, /^acme download-orders: /);
      assert.match(problems[1]!, /^delta download-orders: /);
      // bravo and charlie did not wait for acme's deadline.
      assert.deepEqual(endOrder().slice(-1), ['acme']);
      assert.deepEqual(
        world.rows('select order_number from orders order by order_number').map((o) => o.order_number),
        ['Y100000001', 'Y100000002'],
      );
    } finally {
      world.server.thaw();
    }
  });

  it('--concurrency 1 (or JL_EDGE_CONCURRENCY=1) runs them one after another, the same output and --json', async () => {
    world.server.freezeListener();
    try {
      const run = await world.cli(['download-orders', '--json', '--timeout', '3'], {
        env: { JL_EDGE_CONCURRENCY: '1' },
      });
      assert.equal(run.code, 3, run.stderr);
      const summary = run.json<{ command: string; accounts: { account: string; exit_code: number }[] }>();
      assert.deepEqual(
        summary.accounts.map((a) => [a.account, a.exit_code]),
        [
          ['acme', 3],
          ['bravo', 0],
          ['charlie', 0],
          ['delta', 1],
        ],
      );
      assert.deepEqual(endOrder(), ['acme', 'bravo', 'charlie', 'delta']);
    } finally {
      world.server.thaw();
    }
  });

  it('refuses a concurrency that is not a positive whole number', async () => {
    const option = await world.cli(['download-orders', '--concurrency', '0']);
    assert.equal(option.code, 2);
    const env = await world.cli(['download-orders'], { env: { JL_EDGE_CONCURRENCY: 'many' } });
    assert.equal(env.code, 2);
    assert.equal(
      withoutStamps(env.stderr),
      'jl-edge download-orders: JL_EDGE_CONCURRENCY="many" is not a positive whole number\n',
    );
  });
});
