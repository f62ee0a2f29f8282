/**
 * The database a test runs the binary against: a SQLite file in the test's temp folder, or — in the
 * PostgreSQL pass of `npm test` (JL_EDGE_TEST_ENGINE=postgres, set by scripts/run-tests.mjs) — a fresh
 * database in the throw-away cluster of `postgres.ts`. Tests read and write rows through it
 * synchronously with the same SQL on both engines (`?` placeholders); rows come back as SQLite gives
 * them (booleans as 0/1, bytea as Buffer), so one expectation holds on both.
 */
import Database from 'better-sqlite3';
import { freshDatabase, postgresCluster } from './postgres.js';

export type TestEngine = 'sqlite' | 'postgres';

export const TEST_ENGINE: TestEngine = process.env.JL_EDGE_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** Appended to suite names, so a report says which engine a failure happened on. */
export const ENGINE_LABEL = TEST_ENGINE === 'postgres' ? ' [postgres]' : '';

export interface TestDb {
  /** What `--db` / JL_EDGE_DB takes. */
  url: string;
  rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  /** Runs a write; returns the number of rows it changed. */
  run(sql: string, ...params: unknown[]): number;
  /** Runs one write once per parameter list, all in one transaction (fixtures of thousands of rows). */
  runEach(sql: string, paramLists: unknown[][]): void;
  /** Runs statements without parameters or results (DDL in the engine's own dialect). */
  script(sql: string): void;
}

/** A new database for one test: `sqlitePath` is used on SQLite (the file is created by the binary). */
export function createTestDb(sqlitePath: string): TestDb {
  return TEST_ENGINE === 'postgres' ? postgresTestDb(freshDatabase()) : sqliteTestDb(sqlitePath);
}

function sqliteTestDb(path: string): TestDb {
  const open = (readonly: boolean): Database.Database => new Database(path, { readonly, fileMustExist: true });
  return {
    url: path,
    rows<T>(sql: string, ...params: unknown[]): T[] {
      const db = open(true);
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    run(sql: string, ...params: unknown[]): number {
      const db = open(false);
      try {
        return db.prepare(sql).run(...params).changes;
      } finally {
        db.close();
      }
    },
    runEach(sql: string, paramLists: unknown[][]): void {
      const db = open(false);
      try {
        const statement = db.prepare(sql);
        db.transaction(() => paramLists.forEach((params) => statement.run(...params)))();
      } finally {
        db.close();
      }
    },
    script(sql: string): void {
      const db = open(false);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
}

function postgresTestDb(url: string): TestDb {
  const database = new URL(url).pathname.slice(1);
  const psql = (sql: string): string => postgresCluster().psql(database, sql);
  return {
    url,
    rows<T>(sql: string, ...params: unknown[]): T[] {
      const out = psql(`select coalesce(json_agg(t), '[]') from (${bind(sql, params)}) t`);
      return (JSON.parse(out) as Record<string, unknown>[]).map(likeSqlite) as T[];
    },
    run(sql: string, ...params: unknown[]): number {
      // `returning 1` makes psql print one line per changed row.
      const out = psql(`with changed as (${bind(sql, params)} returning 1) select count(*) from changed`);
      return Number(out.trim());
    },
    runEach(sql: string, paramLists: unknown[][]): void {
      psql(['begin;', ...paramLists.map((params) => `${bind(sql, params)};`), 'commit;'].join('\n'));
    },
    script(sql: string): void {
      psql(sql);
    },
  };
}

/** Inlines `?` parameters as SQL literals (test SQL only: no `?` inside its string literals). */
function bind(sql: string, params: unknown[]): string {
  let index = 0;
  return sql.replace(/\?/g, () => {
    if (index >= params.length) throw new Error(`too few parameters for: ${sql}`);
    return literal(params[index++]);
  });
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** A PostgreSQL row (through JSON) as better-sqlite3 returns it. */
function likeSqlite(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'boolean') out[key] = value ? 1 : 0;
    else if (typeof value === 'string' && /^\\x([0-9a-f]{2})*$/.test(value))
      out[key] = Buffer.from(value.slice(2), 'hex');
    else if (value !== null && typeof value === 'object') out[key] = JSON.stringify(value);
    else out[key] = value;
  }
  return out;
}
