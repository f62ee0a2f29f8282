import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import knex, { type Knex } from 'knex';
import { MIGRATION_NAMES, migrationSource } from './migrations.js';
import { ConnectionError, LockedError, UsageError, errorMessage } from '../core/errors.js';
import { processAlive } from '../core/process.js';

export type Dialect = 'sqlite' | 'postgres';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Opens the database named by a SQLite path or a postgres:// URL and, unless `migrate` is false
 * (`db status` looks before it leaps), migrates it to the latest schema. `concurrency`: accounts that
 * will run at once, each wanting a connection of its own (PostgreSQL; SQLite has one connection).
 */
export async function openDatabase(
  url: string,
  options: { migrate?: boolean; concurrency?: number } = {},
): Promise<{ knex: Knex; dialect: Dialect; applied: string[] }> {
  const dialect: Dialect = isPostgresUrl(url) ? 'postgres' : 'sqlite';
  const db = dialect === 'postgres' ? await connectPostgres(url, options.concurrency ?? 1) : connectSqlite(url);
  try {
    const applied =
      options.migrate === false ? [] : await migrateLatest(db, dialect === 'sqlite' ? resolve(url) : null);
    return { knex: db, dialect, applied };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/**
 * Migrates to the latest schema. Every step of a crontab starts in the same minute, so on a new database
 * or after an upgrade several runs arrive here at once: one migrates, the others wait for it (knex alone
 * lets them race to create its own tables, and a run killed mid-migration leaves knex's lock row set).
 */
export async function migrateLatest(db: Knex, sqliteFile: string | null): Promise<string[]> {
  if ((await schemaState(db)).pending.length === 0) return [];
  const migrate = async (): Promise<string[]> => {
    // Checked again: the run that held the lock before us may have done it all.
    if ((await schemaState(db)).pending.length === 0) return [];
    // We are the only migrator now; a lock row left set by a killed run would refuse us forever.
    await db.migrate.forceFreeMigrationsLock({ migrationSource });
    const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  };
  return sqliteFile === null ? withPostgresMigrationLock(db, migrate) : withMigrationLockFile(sqliteFile, migrate);
}

/** How long a run waits for another one's migration before it gives up (exit 75, cron tries again). */
const MIGRATION_WAIT_MS = 120_000;

/**
 * SQLite has no lock a run can hold across knex's own transactions, and it lives on one host: a lock file
 * beside the database, holding the migrating run's process id, taken over when that process is gone.
 */
async function withMigrationLockFile<T>(databaseFile: string, work: () => Promise<T>): Promise<T> {
  const lockFile = `${databaseFile}.migrating`;
  const giveUpAt = Date.now() + MIGRATION_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileIfPresent(lockFile));
    if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > giveUpAt) {
      throw new LockedError(`database ${databaseFile} is being migrated by process ${holder} (${lockFile}); try later`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function readFileIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** An advisory lock on one pooled connection: released by PostgreSQL itself when a killed run's session ends. */
async function withPostgresMigrationLock<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  const connection: unknown = await db.client.acquireConnection();
  try {
    await db.raw('select pg_advisory_lock(hashtext(?))', [MIGRATION_LOCK_KEY]).connection(connection);
    try {
      return await work();
    } finally {
      await db.raw('select pg_advisory_unlock(hashtext(?))', [MIGRATION_LOCK_KEY]).connection(connection);
    }
  } finally {
    await db.client.releaseConnection(connection);
  }
}

const MIGRATION_LOCK_KEY = 'jl-edge schema migration';

/**
 * The migrations applied and still pending, by name. One cheap query instead of knex's full migration
 * protocol (table checks, lock row, transaction) on every cron run: most runs find nothing to migrate.
 */
export async function schemaState(db: Knex): Promise<{ applied: string[]; pending: string[] }> {
  let applied: string[];
  try {
    applied = (await db('knex_migrations').orderBy('id').select('name')).map((row: { name: string }) => row.name);
  } catch {
    applied = []; // a new database: no migrations table yet
  }
  const done = new Set(applied);
  return { applied, pending: MIGRATION_NAMES.filter((name) => !done.has(name)) };
}

// compileSqlOnError: false keeps bound values (customer addresses …) out of error messages, which
// reach the run log and cron mail; the statement with its placeholders is still there.

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A database path that names a folder, a device or some other file is a configuration error (exit 2),
 * found before SQLite opens it: SQLite would fail later with a driver stack trace, or write a -wal file
 * next to someone's document. An empty file is a database not created yet.
 */
function assertUsableSqliteFile(file: string): void {
  const problem = (what: string): UsageError =>
    new UsageError(`database ${file} ${what}: --db and JL_EDGE_DB name a SQLite file or a postgres:// URL`);
  let info: Stats;
  try {
    info = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw problem(`cannot be opened (${errorMessage(err)})`);
  }
  if (info.isDirectory()) throw problem('is a folder');
  if (!info.isFile()) throw problem('is not a regular file');
  if (info.size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw problem(`cannot be read (${errorMessage(err)})`);
  }
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) throw problem('is not a SQLite database (it was left untouched)');
}

function connectSqlite(path: string): Knex {
  const file = resolve(path);
  assertUsableSqliteFile(file);
  try {
    // The database holds customer addresses: owner-only folder and file (SPEC §7). SQLite gives its
    // -wal and -shm files the permissions of the database file.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
  } catch (err) {
    throw new UsageError(`database ${file} cannot be created: ${errorMessage(err)}`);
  }
  return knex({
    client: 'better-sqlite3',
    connection: { filename: file },
    compileSqlOnError: false,
    // knex's logger prints driver failures with their stack to the console itself; the same failure
    // reaches the caller as an error, and cron mails every printed line.
    log: { warn: ignore, error: ignore, deprecate: ignore, debug: ignore },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: BetterSqlite3.Database, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 10000');
          conn.pragma('foreign_keys = ON');
          conn.pragma('synchronous = NORMAL');
          reusePreparedStatements(conn);
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

/**
 * knex prepares every statement it runs on SQLite anew, though a run repeats the same few dozen texts (each
 * step's lock, run-log row and reads, per account): preparing took about a tenth of `sync`'s CPU for 100
 * accounts. So the connection keeps the statements it prepared, by SQL text, the most recently used ones.
 * A statement is handed out in its default row mode (the plain-SQL reads switch it to arrays or single
 * values each time),
 * and never while it is still iterating: then a fresh one is prepared.
 */
function reusePreparedStatements(connection: BetterSqlite3.Database): void {
  const prepare = connection.prepare.bind(connection) as (sql: string) => BetterSqlite3.Statement;
  const statements = new Map<string, BetterSqlite3.Statement>();
  const cached = (sql: string): BetterSqlite3.Statement => {
    const kept = statements.get(sql);
    if (kept?.busy) return prepare(sql);
    const statement = kept ?? prepare(sql);
    // A Map iterates in insertion order: re-inserting makes it the most recently used.
    statements.delete(sql);
    statements.set(sql, statement);
    if (statements.size > PREPARED_STATEMENTS_KEPT) statements.delete(statements.keys().next().value!);
    // raw(false) leaves pluck and expand as they were: each is switched off on its own.
    if (statement.reader) statement.raw(false).pluck(false).expand(false);
    return statement;
  };
  connection.prepare = cached as BetterSqlite3.Database['prepare'];
}

/** Enough for every statement text of a run's steps; bulk statements of varying row counts come and go. */
const PREPARED_STATEMENTS_KEPT = 200;

/** How long to wait for PostgreSQL to accept a connection before exit 3: cron must never stack up. */
const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Upper bound for one statement (the largest is a 200,000-row push's bookkeeping, seconds long) and for
 * waiting on another host's row lock: a stuck database or a forgotten session ends the run, not hangs it.
 */
const POSTGRES_STATEMENT_TIMEOUT_MS = 300_000;

async function connectPostgres(url: string, concurrency: number): Promise<Knex> {
  try {
    await import('pg');
  } catch {
    throw new UsageError('a postgres:// database needs the "pg" package: npm install pg');
  }
  const db = knex({
    client: 'pg',
    connection: {
      connectionString: url,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
      statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
      application_name: 'jl-edge',
    },
    // One more than the accounts running at once: their lock heartbeats run beside their work.
    pool: { min: 0, max: Math.max(4, concurrency + 1) },
    // Waiting for a pooled connection means waiting for another account's statement to end.
    acquireConnectionTimeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    compileSqlOnError: false,
    // knex's pool prints every failed connection attempt with its stack on its own; the failure
    // reaches us as an error anyway, and becomes one line (below, and in the CLI).
    log: { warn: ignore, error: ignore, deprecate: ignore, debug: ignore },
  });
  try {
    await db.raw('select 1');
  } catch (err) {
    await db.destroy();
    throw new ConnectionError(`cannot reach the database ${redactedUrl(url)}: ${errorMessage(err)}`);
  }
  return db;
}

/** A database URL without its password, for messages; a SQLite path as it is. */
export function redactedUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

function ignore(): void {}
