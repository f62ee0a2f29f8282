import { closeSync, mkdirSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import { MIGRATION_NAMES, migrationSource } from './migrations.js';
import { UsageError, errorMessage } from '../core/errors.js';

export type Dialect = 'sqlite' | 'postgres';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens the database named by a SQLite path or a postgres:// URL and migrates it to the latest schema. */
export async function openDatabase(url: string): Promise<{ knex: Knex; dialect: Dialect; applied: string[] }> {
  const dialect: Dialect = isPostgresUrl(url) ? 'postgres' : 'sqlite';
  const db = dialect === 'postgres' ? await connectPostgres(url) : connectSqlite(url);
  try {
    return { knex: db, dialect, applied: await migrateLatest(db) };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  if (await schemaIsCurrent(db)) return [];
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/**
 * One cheap query instead of knex's full migration protocol (table checks, lock row, transaction) on
 * every cron run: most runs find nothing to migrate.
 */
async function schemaIsCurrent(db: Knex): Promise<boolean> {
  try {
    const done = new Set((await db('knex_migrations').select('name')).map((row: { name: string }) => row.name));
    return MIGRATION_NAMES.every((name) => done.has(name));
  } catch {
    return false;
  }
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
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 10000');
          conn.pragma('foreign_keys = ON');
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

async function connectPostgres(url: string): Promise<Knex> {
  try {
    await import('pg');
  } catch {
    throw new UsageError('a postgres:// database needs the "pg" package: npm install pg');
  }
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 4 }, compileSqlOnError: false });
}

function ignore(): void {}
