/**
 * The database itself through the CLI: `db status` before and after migrating, on the engine of the
 * pass (SQLite, then PostgreSQL), and a PostgreSQL that cannot be reached (SPEC §5.7: one line, exit 3).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { runCli, STDERR_STAMP, tempDir } from '../helpers/cli.js';
import { ENGINE_LABEL, TEST_ENGINE, createTestDb } from '../helpers/test-db.js';
import { MIGRATION_NAMES } from '../../src/db/migrations.js';

describe(`db status${ENGINE_LABEL}`, () => {
  it('names the engine, the schema version and the pending migrations, and migrates nothing itself', async () => {
    const tmp = tempDir();
    try {
      const db = createTestDb(tmp.path('db.sqlite'));
      const engine = TEST_ENGINE === 'postgres' ? 'postgresql' : 'sqlite';
      const before = await runCli(['db', 'status', '--db', db.url, '--json']);
      assert.equal(before.code, 0, before.stderr);
      assert.deepEqual(before.json(), {
        command: 'db status',
        engine,
        database: db.url,
        schema_version: null,
        applied: [],
        pending: MIGRATION_NAMES,
      });
      const human = await runCli(['db', 'status', '--db', db.url]);
      assert.equal(
        human.stdout,
        `engine: ${engine} (${db.url})\nschema: none (0 migrations applied)\npending: ${MIGRATION_NAMES.join(', ')}\n`,
      );

      assert.equal((await runCli(['db', 'migrate', '--db', db.url, '--quiet'])).code, 0);
      const after = await runCli(['db', 'status', '--db', db.url, '--json']);
      assert.deepEqual(after.json(), {
        command: 'db status',
        engine,
        database: db.url,
        schema_version: MIGRATION_NAMES.at(-1),
        applied: MIGRATION_NAMES,
        pending: [],
      });
    } finally {
      tmp.remove();
    }
  });

  it("runs started together on a new database (cron's first minute): one migrates, every one runs, one account", async () => {
    const tmp = tempDir();
    try {
      const db = createTestDb(tmp.path('db.sqlite'));
      // A migration lock file left by a run killed mid-migration (no such process) is taken over.
      if (TEST_ENGINE === 'sqlite') writeFileSync(`${db.url}.migrating`, '2147483646');
      const env = { JL_EDGE_ACCOUNT: 'shop', JL_EDGE_LOCAL_ROOT: tmp.path('edge') };
      for (const folder of ['incoming', 'inventory/errors'])
        mkdirSync(tmp.path(`edge/live/${folder}`), { recursive: true });
      const steps = ['download-orders', 'ack-orders', 'push-stock', 'send-shipments', 'send-cancels', 'send-refunds'];
      const runs = await Promise.all(steps.map((step) => runCli([step, '--db', db.url, '--quiet'], { env })));
      assert.deepEqual(
        runs.map((run, index) => `${steps[index]} ${run.code} ${run.stderr}`),
        steps.map((step) => `${step} 0 `),
      );
      assert.deepEqual(db.rows('select name from accounts'), [{ name: 'shop' }]);
      assert.equal(db.rows('select name from knex_migrations').length, MIGRATION_NAMES.length);
      assert.equal(existsSync(`${db.url}.migrating`), false);
    } finally {
      tmp.remove();
    }
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Needs no PostgreSQL server at all: it runs once, in the SQLite pass.
if (TEST_ENGINE === 'sqlite')
  describe('a PostgreSQL database that cannot be reached', () => {
    it('gives one line on stderr, even with --quiet, the password masked, and exit 3', async () => {
      const url = `postgres://jl:s3cret@127.0.0.1:${await closedPort()}/jl_edge`;
      const masked = url.replace('s3cret', '***');
      for (const args of [['download-orders', '--quiet'], ['status'], ['db', 'status']]) {
        const run = await runCli([...args, '--db', url]);
        assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
        assert.equal(run.stdout, '');
        const command = args[0] === 'db' ? 'db status' : args[0];
        // A step's line starts with the time off a terminal; status and db status are not steps.
        const stamp = command === 'download-orders' ? STDERR_STAMP.source.slice(1) : '';
        assert.match(
          run.stderr,
          new RegExp(
            `^${stamp}jl-edge ${command}: cannot reach the database ${escape(masked)}: connect ECONNREFUSED [0-9.:]+\\n$`,
          ),
        );
      }
      const json = await runCli(['push-stock', '--json', '--db', url]);
      assert.equal(json.code, 3);
      assert.deepEqual(json.json(), {
        command: 'push-stock',
        ok: false,
        exit_code: 3,
        error: `cannot reach the database ${masked}: connect ECONNREFUSED 127.0.0.1:${new URL(url).port}`,
      });
    });
  });

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
