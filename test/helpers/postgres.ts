/**
 * A real, throw-away PostgreSQL cluster for tests (SPEC §9), like the sshd harness: `initdb` and
 * `pg_ctl` as the `postgres` user (initdb refuses root) in a folder that user owns, listening on
 * 127.0.0.1 at a random port, trust authentication, stopped with `-m immediate` and removed when the
 * test process exits. One cluster per test process, started on first use; every test gets a fresh
 * database of its own from `freshDatabase()`.
 *
 * When PostgreSQL is missing the PostgreSQL pass is skipped loudly (scripts/run-tests.mjs), unless
 * JL_EDGE_REQUIRE_POSTGRES=1 (CI), where `postgresCluster()` throws so the suite fails instead.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT = 'PostgreSQL not installed: apt-get install -y postgresql';
const SUPERUSER = 'postgres';

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0]!, 'bin') : null;
}

export function postgresAvailability(): { available: boolean; reason?: string } {
  if (!postgresBinDir()) return { available: false, reason: INSTALL_HINT };
  if (process.getuid?.() !== 0) return { available: false, reason: 'PostgreSQL tests need root (runuser postgres)' };
  return { available: true };
}

export interface PostgresCluster {
  port: number;
  /** `postgres://…/<name>` for a database of this cluster. */
  url(database: string): string;
  /** Runs SQL through psql as the superuser, synchronously; returns psql's unaligned, tuples-only output. */
  psql(database: string, sql: string): string;
  stop(): void;
}

let cluster: PostgresCluster | null = null;
let databaseCount = 0;

/** The cluster of this test process, started on first use. */
export function postgresCluster(): PostgresCluster {
  cluster ??= startCluster();
  return cluster;
}

/** A new, empty database in the cluster; returns its URL. */
export function freshDatabase(): string {
  const pg = postgresCluster();
  const name = `jl_edge_test_${process.pid}_${++databaseCount}`;
  pg.psql('postgres', `create database ${name}`);
  return pg.url(name);
}

function startCluster(): PostgresCluster {
  const { available, reason } = postgresAvailability();
  if (!available) throw new Error(`PostgreSQL is required (JL_EDGE_REQUIRE_POSTGRES=1) but ${reason}`);
  const bin = postgresBinDir()!;
  const dir = mkdtempSync(join(tmpdir(), 'jl-edge-pg-'));
  const uid = Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim());
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const asPostgres = (args: string[]): string =>
    execFileSync('runuser', ['-u', SUPERUSER, '--', ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  asPostgres([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '-E', 'UTF8']);
  // Several test processes start clusters at once: retry on a port someone else took.
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = 20000 + Math.floor(Math.random() * 20000);
    try {
      asPostgres([
        join(bin, 'pg_ctl'),
        '-D',
        data,
        '-l',
        join(dir, 'log'),
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        '-w',
        'start',
      ]);
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      asPostgres([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // Synchronous, so it also runs when the test process ends without after-hooks, or is interrupted.
  process.on('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      stop();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  return {
    port,
    url: (database) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`,
    psql: (database, sql) =>
      execFileSync(
        join(bin, 'psql'),
        [
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          SUPERUSER,
          '-d',
          database,
        ],
        { input: sql, stdio: ['pipe', 'pipe', 'pipe'] },
      ).toString(),
    stop,
  };
}
