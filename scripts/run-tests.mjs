#!/usr/bin/env node
// Runs every test file under test/ with node:test + tsx. Node 20's --test does not expand globs,
// so the list is built here. Extra arguments filter files by substring: `npm test -- orders`.
//
// Then the files of POSTGRES_FILES run a second time on PostgreSQL (JL_EDGE_TEST_ENGINE=postgres: each
// test process starts its own throw-away cluster, test/helpers/postgres.ts) when PostgreSQL is
// installed; a missing PostgreSQL is reported loudly, and is a failure with JL_EDGE_REQUIRE_POSTGRES=1.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * What runs on both engines: every sync step, locks and status, the two-host test and the repository-
 * level tests. The rest (formats, transports, CLI basics, the demo) does not depend on the engine.
 */
const POSTGRES_FILES = [
  'test/db/',
  'test/e2e/database.test.ts',
  'test/e2e/download-orders.test.ts',
  'test/e2e/ack-orders.test.ts',
  'test/e2e/push-stock.test.ts',
  'test/e2e/shipments.test.ts',
  'test/e2e/cancels.test.ts',
  'test/e2e/refunds.test.ts',
  'test/e2e/operations.test.ts',
  'test/e2e/import-products.test.ts',
  'test/e2e/two-hosts.test.ts',
  'test/e2e/concurrency.test.ts',
  'test/e2e/monitoring-metrics.test.ts',
  'test/e2e/report.test.ts',
  'test/e2e/warehouse-export.test.ts',
];

/** Files about PostgreSQL itself (two hosts on one server): they run in the PostgreSQL pass only. */
const POSTGRES_ONLY_FILES = ['test/e2e/two-hosts.test.ts'];

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function postgresMissing() {
  const root = '/usr/lib/postgresql';
  const installed = existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb')));
  if (!installed) return 'PostgreSQL not installed: apt-get install -y postgresql';
  if (process.getuid?.() !== 0) return 'PostgreSQL tests need root (runuser postgres)';
  return null;
}

/**
 * Test files run three at a time on two cores: most of a file's time is spent waiting on sshd, PostgreSQL
 * and the binary's child processes, and the whole suite must stay within .ci/run's 20 minutes.
 */
const TEST_FILES_AT_ONCE = 3;

function runFiles(files, env) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${TEST_FILES_AT_ONCE}`, '--test-reporter=spec', ...files],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  return result.status ?? 1;
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}
const onBoth = files.filter((f) => POSTGRES_FILES.some((p) => f.startsWith(p)));
// The engine-independent files, and the SQLite pass of the others.
const sqliteFiles = files.filter((f) => !POSTGRES_ONLY_FILES.includes(f));
let status = sqliteFiles.length > 0 ? runFiles(sqliteFiles, { JL_EDGE_TEST_ENGINE: 'sqlite' }) : 0;
if (onBoth.length > 0) {
  const missing = postgresMissing();
  if (missing && process.env.JL_EDGE_REQUIRE_POSTGRES !== '1') {
    process.stderr.write(
      `\n*** PostgreSQL tests SKIPPED (${onBoth.length} files): ${missing} (set JL_EDGE_REQUIRE_POSTGRES=1 to fail instead) ***\n\n`,
    );
  } else {
    process.stderr.write(`\n=== the same ${onBoth.length} files on PostgreSQL ===\n\n`);
    const postgresStatus = runFiles(onBoth, { JL_EDGE_TEST_ENGINE: 'postgres' });
    if (status === 0) status = postgresStatus;
  }
}
process.exit(status);
