/**
 * Several hosts, one database (SPEC §6.1, §6.4): two "hosts" — distinct host names (JL_EDGE_HOSTNAME),
 * separate working folders — run the cron steps at the same time against one PostgreSQL and one sshd.
 * Every order is stored once and every acknowledgement and tracking file sent once; a host killed while
 * it holds a lock is taken over by the other once the lock is stale.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, runCli, type CliRun } from '../helpers/cli.js';
import { sshdSkip } from '../helpers/sshd.js';
import { ENGINE_LABEL, TEST_ENGINE } from '../helpers/test-db.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { EdgeWorld, INCOMING, OUTGOING, waitFor } from '../fixtures/orders/edge-world.js';

const ROUNDS = 20;
const ORDERS_PER_ROUND = 2;
const orderNumber = (n: number): string => `Y${String(500000000 + n)}`;

/** One host: its own name and working folder, the shared database. */
class Host {
  readonly dir: string;
  constructor(
    readonly name: string,
    private readonly world: EdgeWorld,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `jl-edge-${name}-`));
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { JL_EDGE_HOSTNAME: this.name, JL_EDGE_DB: this.world.db, ...extra };
  }

  cli(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    return runCli(args, { cwd: this.dir, env: this.env(extra) });
  }

  /** The cron steps of one round, one after another as a crontab runs them on one host. */
  async cronRound(): Promise<CliRun[]> {
    const runs: CliRun[] = [];
    for (const step of ['download-orders', 'ack-orders', 'send-shipments'])
      runs.push(await this.cli([step, '--quiet']));
    return runs;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Files of a remote folder with the given suffix, by name. */
function namesEnding(world: EdgeWorld, dir: string, suffix: string): string[] {
  return [...world.files(dir).keys()].filter((name) => name.endsWith(suffix));
}

/** The order number in an outbound two-section file (line 2, first field). */
function orderOf(content: Buffer): string {
  return content.toString('utf8').split('\n')[1]!.split(',')[0]!;
}

// Two processes sharing one SQLite file on one machine prove little about hosts: this runs on PostgreSQL.
if (TEST_ENGINE === 'postgres')
  describe(`two hosts, one database${ENGINE_LABEL}`, { skip: sshdSkip }, () => {
    const world = EdgeWorld.perTest((w) => w.addProducts([{ sku: 'SKU-1', channelItemId: '11111111' }]));

    /** An engineer records the shipment of every acknowledged order; the next send-shipments sends it. */
    const shipReady = async (host: Host): Promise<void> => {
      const ready = world.rows<{ order_number: string }>(
        `select order_number from orders where status = 'ready_to_ship' order by id`,
      );
      for (const { order_number } of ready) {
        const ship = await host.cli([
          'orders',
          'ship',
          order_number,
          '--carrier',
          'dpd',
          '--tracking',
          `T${order_number}`,
        ]);
        assert.equal(ship.code, 0, ship.stderr);
      }
    };

    it(`run download, ack and send-shipments at the same time for ${ROUNDS} rounds: every order stored once, every file sent once`, async () => {
      const hosts = [new Host('cron-a', world), new Host('cron-b', world)];
      try {
        let next = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < ORDERS_PER_ROUND; i++) {
            next++;
            world.putOrder(
              orderFileName(next),
              orderFile({ order: orderSection(orderNumber(next)), items: [item('1', '11111111', '1')] }),
            );
          }
          const runs = (await Promise.all(hosts.map((host) => host.cronRound()))).flat();
          for (const run of runs) assert.ok([0, 75].includes(run.code), `exit ${run.code}: ${run.stderr}`);
          await shipReady(hosts[round % 2]!);
        }
        // One host alone finishes what the last round left: acknowledgements that lost a lock race,
        // and the shipments recorded after the last send.
        for (const run of await hosts[0]!.cronRound()) assert.equal(run.code, 0, run.stderr);
        await shipReady(hosts[0]!);
        for (const run of await hosts[0]!.cronRound()) assert.equal(run.code, 0, run.stderr);

        const total = ROUNDS * ORDERS_PER_ROUND;
        const expected = Array.from({ length: total }, (_, i) => orderNumber(i + 1));
        assert.deepEqual(
          world
            .rows<{ order_number: string }>('select order_number from orders order by order_number')
            .map((o) => o.order_number),
          expected,
        );
        assert.deepEqual(world.rows(`select status, count(*) as n from orders group by status`), [
          { status: 'shipped', n: total },
        ]);
        assert.deepEqual(world.rows(`select count(*) as n from inbound_files where status = 'processed'`), [
          { n: total },
        ]);
        const outgoing = world.files(OUTGOING);
        for (const [suffix, kind] of [
          ['.ack', 'acknowledgement'],
          ['.txt', 'tracking file'],
        ] as const) {
          const names = namesEnding(world, OUTGOING, suffix);
          assert.deepEqual(
            names.map((name) => orderOf(outgoing.get(name)!)).sort(),
            expected,
            `one ${kind} per order, none twice`,
          );
          for (const name of names) assert.ok(outgoing.has(`${name}.DONE`), `${name} has its marker`);
        }
        assert.equal(outgoing.size, total * 4, 'nothing else in the folder');
        assert.deepEqual(world.rows(`select status, count(*) as n from outbox group by status`), [
          { status: 'sent', n: total * 2 },
        ]);
      } finally {
        for (const host of hosts) host.remove();
      }
    });

    it('a host killed while it holds a lock is taken over by the other once the lock is stale', async () => {
      const [a, b] = [new Host('cron-a', world), new Host('cron-b', world)];
      try {
        world.putOrder(
          orderFileName(1),
          orderFile({ order: orderSection(orderNumber(1)), items: [item('1', '11111111', '1')] }),
        );
        // Host a takes the lock and stays inside its run until it is killed.
        const child = spawn(BIN, ['download-orders', '--quiet'], {
          cwd: a.dir,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: a.dir,
            ...a.env({ JL_EDGE_FAULT: 'pause-after-lock:60000' }),
          },
          stdio: 'ignore',
        });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await waitFor(() => world.rows('select * from locks').length === 1);
        child.kill('SIGKILL');
        await exited;
        const [lock] = world.rows<{ step: string; host: string; pid: number; heartbeat_at: string }>(
          'select step, host, pid, heartbeat_at from locks',
        );
        assert.deepEqual(
          { ...lock, heartbeat_at: undefined },
          { step: 'download-orders', host: 'cron-a', pid: child.pid, heartbeat_at: undefined },
          'the dead run left its lock behind',
        );
        // Host b's clock is pinned relative to the dead run's last heartbeat (JL_EDGE_NOW), so "before" and
        // "after" the stale interval (the default, 120 s) do not depend on how busy the machine is.
        const at = (secondsAfterHeartbeat: number) => ({
          JL_EDGE_NOW: new Date(Date.parse(lock!.heartbeat_at) + secondsAfterHeartbeat * 1000).toISOString(),
        });

        // Another host cannot tell a dead holder from a live one until its heartbeat goes stale.
        const early = await b.cli(['download-orders'], at(110));
        assert.equal(early.code, 75, early.stderr);
        assert.match(early.stderr, new RegExp(`held by pid ${child.pid} on cron-a since `));

        const late = await b.cli(['download-orders'], at(121));
        assert.equal(late.code, 0, late.stderr);
        assert.match(late.stderr, new RegExp(`took over a stale lock \\(held by pid ${child.pid} on cron-a since `));
        assert.deepEqual(world.rows('select order_number from orders'), [{ order_number: orderNumber(1) }]);
        assert.deepEqual(world.rows('select * from locks'), [], 'released after the run');
        assert.deepEqual(namesEnding(world, INCOMING, '.txt'), [orderFileName(1)], 'the order file left in place');
      } finally {
        a.remove();
        b.remove();
      }
    });
  });
