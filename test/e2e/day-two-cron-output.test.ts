/**
 * Issue 16.5: cron output that helps. Off a terminal every line a step writes to stderr starts with the
 * time (UTC, to the second; JL_EDGE_NOW pins it here) and the account; with --quiet a run that found the
 * lock held by a live run younger than the stale interval prints nothing (exit 75 still); a stale-lock
 * takeover prints one such line; colour only on a terminal, never under NO_COLOR. Through the built binary
 * against a real OpenSSH sshd.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ACCOUNT, EdgeWorld, INCOMING, waitFor } from '../fixtures/orders/edge-world.js';

const NOW = '2026-03-02T10:00:00Z';
const at = (secondsAfterNow: number) => ({
  JL_EDGE_NOW: new Date(Date.parse(NOW) + secondsAfterNow * 1000).toISOString(),
});

describe('cron output', { skip: sshdSkip }, () => {
  const world = EdgeWorld.perTest();

  it('off a terminal, a step’s stderr lines start with the time and the account; other commands’ do not', async () => {
    rmSync(world.local(INCOMING), { recursive: true });
    const failed = await world.cli(['download-orders', '--quiet'], { env: at(0) });
    assert.deepEqual([failed.code, failed.stdout], [1, '']);
    assert.equal(
      failed.stderr,
      `${NOW} ${ACCOUNT} download-orders: cannot list the order folder (OrderDownload), so no order can be read: ` +
        `list /live/incoming: no such file or folder (check it with: jl-edge accounts test ${ACCOUNT})\n`,
    );

    const csv = world.local('/products.csv');
    writeFileSync(csv, 'sku,stock,colour\nPEN,4,blue\n');
    const imported = await world.cli(['import-products', csv, '--quiet'], { env: at(1) });
    assert.equal(imported.code, 0);
    assert.match(
      imported.stderr,
      /^2026-03-02T10:00:01Z acme import-products: .*products\.csv: warning: column "colour" is not read by jl-edge and ignored \(known columns: [^\n]*\)\n$/,
    );

    const unknown = await world.cli(['push-stock', '--account', 'nope'], { env: at(2) });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, `2026-03-02T10:00:02Z jl-edge push-stock: no account named "nope" (known: acme)\n`);

    const notAStep = await world.cli(['orders', 'show', 'Y1'], { env: at(3) });
    assert.equal(notAStep.code, 2);
    assert.equal(notAStep.stderr, 'jl-edge orders show: no order Y1 (jl-edge orders list shows the stored ones)\n');
  });

  it('--quiet: a lock held by a young live run prints nothing (exit 75); an old holder and a takeover print one line', async () => {
    let holder: ChildProcess | undefined;
    const held = world.cli(['download-orders'], {
      env: { ...at(0), JL_EDGE_FAULT: 'pause-after-lock:60000' },
      onSpawn: (child) => (holder = child),
    });
    await waitFor(() => world.rows("select 1 from locks where step = 'download-orders'").length === 1);
    const [lock] = world.rows<{ acquired_at: string; heartbeat_at: string }>(
      "select acquired_at, heartbeat_at from locks where step = 'download-orders'",
    );
    const pid = holder!.pid!;
    const holderText = (host: string, acquiredAt: string) =>
      `held by pid ${pid} on ${host} since ${acquiredAt} (last heartbeat ${lock!.heartbeat_at})`;
    const hostName = world.rows<{ host: string }>('select host from locks')[0]!.host;

    const quiet = await world.cli(['download-orders', '--quiet'], { env: at(60) });
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [75, '', '']);

    const loud = await world.cli(['download-orders'], { env: at(60) });
    assert.deepEqual(
      [loud.code, loud.stderr],
      [
        75,
        `2026-03-02T10:01:00Z ${ACCOUNT} download-orders: download-orders for account "${ACCOUNT}" is already running: ${holderText(hostName, lock!.acquired_at)}\n`,
      ],
    );

    // A holder alive (its heartbeat fresh) but running for longer than the stale interval (2 minutes) is
    // worth a line even under --quiet: a run that slow is stuck on something.
    const longAgo = new Date(Date.parse(NOW) - 10 * 60_000).toISOString();
    world.exec("update locks set acquired_at = ? where step = 'download-orders'", longAgo);
    const old = await world.cli(['download-orders', '--quiet'], { env: at(60) });
    assert.deepEqual(
      [old.code, old.stderr],
      [
        75,
        `2026-03-02T10:01:00Z ${ACCOUNT} download-orders: download-orders for account "${ACCOUNT}" is already running: ${holderText(hostName, longAgo)}\n`,
      ],
    );
    assert.deepEqual(
      world.rows(
        "select outcome, count(*) as n from runs where step = 'download-orders' and outcome is not null group by outcome",
      ),
      [{ outcome: 'locked', n: 3 }],
      'every skipped run is counted for status, printed or not',
    );

    // The holder dies on another host; once its heartbeat is stale the next run takes over, in one line.
    holder!.kill('SIGKILL');
    assert.equal((await held).code, -1);
    world.exec("update locks set host = 'cron-b' where step = 'download-orders'");
    const takeover = await world.cli(['download-orders', '--quiet'], { env: at(180) });
    assert.deepEqual(
      [takeover.code, takeover.stdout, takeover.stderr],
      [
        0,
        '',
        `2026-03-02T10:03:00Z ${ACCOUNT} download-orders: took over a stale lock (${holderText('cron-b', longAgo)})\n`,
      ],
    );
  });

  it('status is coloured on a terminal only, never under NO_COLOR or on a pipe under FORCE_COLOR', async () => {
    await world.cli(['download-orders', '--quiet'], { env: at(0) });
    const ESC = '\x1b[';
    const onTerminal = (env: Record<string, string>) => {
      // script(1) runs the command on a pseudo-terminal, as a person at a shell would.
      const run = spawnSync('script', ['-qec', `${BIN} status --db ${world.db}`, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', HOME: world.dir, TERM: 'xterm-256color', TZ: 'UTC', ...at(60), ...env },
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /download-orders/);
      return run.stdout;
    };
    assert.ok(onTerminal({}).includes(ESC), 'coloured on a terminal');
    assert.ok(!onTerminal({ NO_COLOR: '1' }).includes(ESC), 'NO_COLOR turns colour off');
    const piped = await world.cli(['status'], { env: { ...at(60), FORCE_COLOR: '3' } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!piped.stdout.includes(ESC), `no colour on a pipe: ${JSON.stringify(piped.stdout.slice(0, 80))}`);
  });
});
