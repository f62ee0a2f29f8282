/**
 * SPEC §5.9 (issue 16): a warehouse file rejected from an inbox (`import-shipments --from`) makes
 * `status` exit 1, naming the file and why, until a person marks it handled with `jl-edge inbox dismiss
 * <file> --reason R` — it must be seen, and must not keep status red forever. Through the built binary,
 * the account on a real OpenSSH sshd and the inbox a local folder; the stale-after settings and
 * status's result in-process.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { LATER, acknowledged, threeLineOrder, useEdgeWorld } from '../fixtures/shipments/orders-out.js';
import { setAccountStaleAfter } from '../../src/commands/accounts.js';
import { status as accountsStatus } from '../../src/commands/status.js';
import type { Context } from '../../src/core/context.js';
import { SYNC_STEPS } from '../../src/core/steps.js';
import { tempDir } from '../helpers/cli.js';
import { inProcess } from '../helpers/in-process.js';
import { sshdSkip } from '../helpers/sshd.js';

const ORDER = 'Y100000001';

/** `accounts set-stale-after … never` as stored. */
const NEVER_STALE = 0;

describe('a file rejected from a warehouse inbox', { skip: sshdSkip }, () => {
  const world = useEdgeWorld();
  const temp = tempDir('jl-edge-inbox-status-');

  const call = <T>(command: (ctx: Context) => Promise<T>): Promise<T> =>
    inProcess({ db: world().db, dir: world().dir, env: LATER }).run(command);
  /** What `status --json` says (the binary exits 1 when it needs attention). */
  const status = async () => {
    const result = await call(accountsStatus);
    return { needsAttention: result.needs_attention, attention: result.accounts[0]!.attention };
  };

  it('keeps status at exit 1 until a person dismisses it, with a reason; a good file never did', async () => {
    await acknowledged(world(), threeLineOrder(ORDER));
    // Staleness is another check: only the sync steps' run at the order's day happened here.
    for (const step of SYNC_STEPS) await call((ctx) => setAccountStaleAfter(ctx, 'acme', step, NEVER_STALE));
    const inbox = temp.path('inbox');
    mkdirSync(inbox);
    const collect = () =>
      world().cli(['import-shipments', '--from', inbox, '--settle', '0', '--quiet'], { env: LATER });

    writeFileSync(`${inbox}/good.csv`, `order_number,line_ref,quantity,carrier,tracking_number\n${ORDER},1,2,dpd,T1\n`);
    writeFileSync(`${inbox}/good.csv.DONE`, '');
    assert.equal((await collect()).code, 0);
    const before = await status();
    assert.deepEqual(before, { needsAttention: false, attention: [] }, 'a processed file needs nobody');

    writeFileSync(`${inbox}/bad.csv`, `order_number,line_ref,quantity,carrier,tracking_number\n${ORDER},2,x,dpd,T2\n`);
    writeFileSync(`${inbox}/bad.csv.DONE`, '');
    assert.equal((await collect()).code, 1);

    const flagged = await status();
    assert.deepEqual(flagged, {
      needsAttention: true,
      attention: [
        `inbox file bad.csv (import-shipments --from ${inbox}) was rejected: bad.csv line 2 column quantity: ` +
          '"x" is not a whole number of units, at least 1 — the file and its reasons are in failed/; ' +
          'once dealt with: jl-edge inbox dismiss bad.csv --reason …',
      ],
    });
    // Still red on the next look: a rejection does not go away by itself.
    assert.equal((await world().cli(['status', '--quiet'], { env: LATER })).code, 1);

    const unknown = await world().cli(['inbox', 'dismiss', 'good.csv', '--reason', 'x'], { env: LATER });
    assert.deepEqual(
      [unknown.code, unknown.stderr],
      [
        2,
        'jl-edge inbox dismiss: no rejected inbox file named "good.csv" is waiting to be handled (jl-edge status lists them)\n',
      ],
    );

    const dryRun = await world().cli(['inbox', 'dismiss', 'bad.csv', '--reason', 'resent', '--dry-run'], {
      env: LATER,
    });
    assert.equal(dryRun.stdout, 'would mark inbox file bad.csv (acme) handled: resent\n');
    assert.equal((await status()).needsAttention, true, 'a dry run changes nothing');

    const dismissed = await world().cli(['inbox', 'dismiss', 'bad.csv', '--reason', 'T2 shipped by phone'], {
      env: LATER,
    });
    assert.deepEqual(
      [dismissed.code, dismissed.stdout, dismissed.stderr],
      [0, 'marked inbox file bad.csv (acme) handled: T2 shipped by phone\n', ''],
    );
    assert.deepEqual(await status(), { needsAttention: false, attention: [] });
    assert.equal((await world().cli(['status', '--quiet'], { env: LATER })).code, 0);
    assert.deepEqual(
      world().rows(
        "select remote_name, status, handled_at, handled_reason from inbound_files where remote_name = 'bad.csv'",
      ),
      [
        {
          remote_name: 'bad.csv',
          status: 'rejected',
          handled_at: '2026-03-02T14:30:00.000Z',
          handled_reason: 'T2 shipped by phone',
        },
      ],
    );
  });
});
