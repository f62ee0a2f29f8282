import { finished } from 'node:stream/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Dialect } from '../connection.js';

/**
 * Plain SQL for the repository's bulk paths, bypassing knex's query builder on SQLite: knex builds the SQL
 * text anew, rewrites its bindings and builds an object per row, which for hundreds of thousands of rows
 * costs more than the statements themselves (measured: a 1,000,000-row import 7.1 s against 2.9 s;
 * push-stock's 200,000-row selection 330 ms against 212 ms). So the same SQL text runs on the connection
 * knex hands out — inside a transaction, the transaction's own — with rows as arrays. PostgreSQL runs the
 * same SQL (`?` placeholders, no `??`) through `knex.raw`. Only repository classes call these.
 */

/** A read returning rows as arrays in select order. */
export async function queryRows(db: Knex, dialect: Dialect, sql: string, bindings: unknown[]): Promise<unknown[][]> {
  if (dialect === 'sqlite')
    return withSqliteStatement(db, sql, (statement) => statement.raw(true).all(bindings) as unknown[][]);
  // Rows as arrays from the driver itself: read back through column names, two unnamed expressions
  // (PostgreSQL calls both `?column?`) would collide and one value would stand in for the other.
  const result = (await db.raw(sql, bindings as Knex.RawBinding[]).options({ rowMode: 'array' })) as {
    rows: unknown[][];
  };
  return result.rows;
}

/** A write; returns the number of rows it changed. */
export async function runStatement(db: Knex, dialect: Dialect, sql: string, bindings: unknown[]): Promise<number> {
  if (dialect === 'sqlite') return withSqliteStatement(db, sql, (statement) => statement.run(bindings).changes);
  const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rowCount?: number | null };
  return result.rowCount ?? 0;
}

/**
 * PostgreSQL: `copy <table> (<columns>) from stdin` of `text`, rows in COPY's text format
 * (`copyTextField`), on the connection knex hands out (inside a transaction, the transaction's own);
 * `sent` is called once the text is handed to the connection, while the server stores it.
 * COPY is PostgreSQL's bulk path: no statement to parse and plan, no parameter to decode, rows written to
 * the table several at a time. The batch goes as one write: streaming it in pieces through a Readable
 * cost the client more than it let the server start early. A refused row (a unique index) rejects with
 * the server's error and its code.
 */
export async function copyIntoTable(
  db: Knex,
  table: string,
  columns: string[],
  text: string,
  sent?: () => void,
): Promise<void> {
  const client = db.client as Knex.Client;
  const connection = (await client.acquireConnection()) as pg.Client;
  try {
    const copy = connection.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
    const stored = finished(copy.end(text));
    sent?.();
    await stored;
  } finally {
    await client.releaseConnection(connection);
  }
}

/** A value in COPY's text format: `\\N` for null, backslash escapes, booleans as t/f. */
export function copyTextField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, escapeCopy) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPE: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeCopy = (c: string): string => COPY_ESCAPE[c]!;

/**
 * Runs `use` with the statement prepared from `sql` on the SQLite connection knex hands out (the connection
 * keeps its prepared statements: db/connection.ts).
 */
export async function withSqliteStatement<T>(
  db: Knex,
  sql: string,
  use: (statement: BetterSqlite3.Statement<unknown[]>) => T,
): Promise<T> {
  // Inside a transaction knex hands out the transaction's own connection (and releasing it is a no-op).
  const client = db.client as Knex.Client;
  const connection = (await client.acquireConnection()) as BetterSqlite3.Database;
  try {
    return use(connection.prepare<unknown[]>(sql));
  } finally {
    await client.releaseConnection(connection);
  }
}
