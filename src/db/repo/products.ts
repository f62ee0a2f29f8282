import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import type { ProductField, ProductValues } from '../../formats/product-csv.js';
import type { Dialect } from '../connection.js';
import { toBool, toNullableNumber, toNullableString, toNumber } from './normalise.js';
import { copyIntoTable, copyTextField, queryRows, runStatement, withSqliteStatement } from './statements.js';

/** A product as stored (SPEC §2), with what the last successful push sent. */
export interface Product {
  id: number;
  accountId: number;
  sku: string;
  channelItemId: string | null;
  ean: string | null;
  title: string | null;
  leadTimeDays: number | null;
  stock: number;
  /** SPEC §2 stock rules of the product; null takes the account's. */
  stockBuffer: number | null;
  stockMax: number | null;
  active: boolean;
  pushedStock: number | null;
  pushedLeadTimeDays: number | null;
  pushedAt: string | null;
  resend: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The fields an import compares a row against. */
export type StoredProduct = Pick<
  Product,
  | 'id'
  | 'sku'
  | 'channelItemId'
  | 'ean'
  | 'title'
  | 'leadTimeDays'
  | 'stock'
  | 'stockBuffer'
  | 'stockMax'
  | 'active'
  | 'resend'
>;

/** The product that holds a channel item id. */
export interface ChannelItemHolder {
  id: number;
  sku: string;
}

/** The optional fields an import writes: only those its file carries. */
export type ImportedField = Exclude<ProductField, 'sku'>;

/** A changed row of an import: its values, and whether push-stock must send the product again. */
export type ProductUpdate = ProductValues & { resend: boolean };

/**
 * New products for `insertNew`, made by `prepareNew` ahead of their turn: on PostgreSQL with each row's
 * COPY text but for its id, which the sequence gives only when the rows are sent.
 */
export interface NewProducts {
  accountId: number;
  fields: ImportedField[];
  rows: ProductValues[];
  now: string;
  /** PostgreSQL: each row's COPY text after its id. */
  copyTails?: string[];
}

const COLUMN: Record<ImportedField, string> = {
  channelItemId: 'channel_item_id',
  ean: 'ean',
  leadTimeDays: 'lead_time_days',
  stock: 'stock',
  title: 'title',
  stockBuffer: 'stock_buffer',
  stockMax: 'stock_max',
  active: 'active',
};

/** Column types for PostgreSQL's `unnest` of one array per column. */
const POSTGRES_TYPE: Record<string, string> = {
  sku: 'text',
  channel_item_id: 'text',
  ean: 'text',
  title: 'text',
  lead_time_days: 'integer',
  stock: 'integer',
  stock_buffer: 'integer',
  stock_max: 'integer',
  active: 'boolean',
  resend: 'boolean',
};

/**
 * PostgreSQL's batches go as arrays and COPY, which bind no value per row, so a batch can be larger than
 * a statement's parameter limit allows. A batch costs four round trips (savepoint, ids, COPY, release).
 * An import decides its next batch while the server stores this one, so two batches live at once, and
 * a batch outlives the allocations of the next: with 5,000 rows they left the young generation, which
 * cost the client 0.5 s more CPU and 35–50 MB more memory for 200,000 products than 2,500 rows (1,250:
 * no better).
 */
const POSTGRES_BATCH_ROWS = 2_500;

/** The SQLite settings of a bulk import (`tuneForImport`); a negative cache size is in KiB. */
const IMPORT_PRAGMAS = { cache_size: -32_768, temp_store: 'memory', wal_autocheckpoint: 0 };

const STORED_COLUMNS =
  'id, sku, channel_item_id, ean, title, lead_time_days, stock, resend, stock_buffer, stock_max, active';

/**
 * The products table. The bulk methods serve `import-products` and run inside a transaction
 * (`Repository.transaction`); lookups take at most `batchSize` keys, writes cut their rows into
 * statements of at most `batchSize`.
 *
 * The bulk methods bypass knex's query builder on SQLite (see `statements.ts`): the same SQL text runs
 * on the transaction's own better-sqlite3 connection, prepared once per statement shape, and statement
 * sizes are kept to a few shapes (see `chunks`). PostgreSQL gets new rows by COPY
 * and updates as one array per column (`unnest`) through `knex.raw`.
 */
export class ProductsRepo {
  /** Rows per batch: per multi-row statement on SQLite, per lookup or write on PostgreSQL. */
  readonly batchSize: number;
  /**
   * Whether an import should decide its next batch while this one is written. On PostgreSQL another
   * process stores the rows (measured: its COPY takes longer than reading and deciding them), so the two
   * can work at once; SQLite's driver writes synchronously in this process, so there is nothing to overlap.
   */
  readonly overlapsWrites: boolean;

  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
    /** Rows per multi-row statement (Repository.batchSize). */
    statementRows: number,
  ) {
    this.batchSize = dialect === 'postgres' ? POSTGRES_BATCH_ROWS : statementRows;
    this.overlapsWrites = dialect === 'postgres';
  }

  async findBySku(accountId: number, sku: string): Promise<Product | null> {
    const row = await this.db('products').where({ account_id: accountId, sku }).first();
    return row ? productFromRow(row) : null;
  }

  /** Products of these accounts in account and SKU order; `limit` 0 means all. */
  async list(accountIds: number[], limit: number): Promise<Product[]> {
    const query = this.db('products').whereIn('account_id', accountIds).orderBy(['account_id', 'sku']);
    if (limit > 0) query.limit(limit);
    return (await query).map(productFromRow);
  }

  async count(accountIds: number[]): Promise<number> {
    const row = await this.db('products').whereIn('account_id', accountIds).count({ n: '*' }).first();
    return toNumber(row?.n ?? 0);
  }

  async accountHasAny(accountId: number): Promise<boolean> {
    return (await this.db('products').where({ account_id: accountId }).first('id')) !== undefined;
  }

  /**
   * Runs `work` under a savepoint: when it throws, whatever it wrote is undone and the transaction
   * goes on (PostgreSQL would otherwise refuse every later statement of the transaction).
   */
  async withSavepoint<T>(work: () => Promise<T>): Promise<T> {
    await this.run('savepoint products_batch', []);
    let result: T;
    try {
      result = await work();
    } catch (err) {
      await this.run('rollback to savepoint products_batch', []);
      await this.run('release savepoint products_batch', []);
      throw err;
    }
    await this.run('release savepoint products_batch', []);
    return result;
  }

  /** A write refused by a unique index: (account, sku) or (account, channel item id). */
  isUniqueViolation(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code;
    return code === (this.dialect === 'sqlite' ? 'SQLITE_CONSTRAINT_UNIQUE' : '23505');
  }

  /**
   * SQLite: the connection's settings for a bulk import, until the returned function restores the
   * previous ones.
   * - A larger page cache: channel item ids arrive in no order, so their index pages are touched at
   *   random; with the default 2 MB cache they are read again and again (measured on 1,000,000 rows:
   *   1.4 s less, +30 MB).
   * - Statement journals in memory: every batch runs under a savepoint (`withSavepoint`), for which SQLite
   *   keeps the original of each page the batch changes in a statement journal, by default a temporary
   *   file (measured on 1,000,000 rows: 690,000 writes against 220,000, a third less system time).
   * - No checkpoint until the end: after each commit SQLite copies the pages the commit wrote from the WAL
   *   into the database file and syncs both, and an import's commits rewrite the same index pages, so each
   *   checkpoint copied most of them again (measured on 1,000,000 rows: 40 fsyncs taking 1.5 s on a busy
   *   disk, 565 MB written; with one checkpoint at the end: 7 fsyncs, 400–480 MB). The WAL grows meanwhile to
   *   about the size of what the import writes. The checkpoint at the end is passive: it copies what no
   *   reader still needs and never waits; SQLite's automatic one finishes the rest later.
   */
  async tuneForImport(): Promise<() => Promise<void>> {
    if (this.dialect !== 'sqlite') return async () => undefined;
    const previous: string[] = [];
    for (const [pragma, value] of Object.entries(IMPORT_PRAGMAS)) {
      const current = await this.withStatement(`pragma ${pragma}`, (statement) => statement.pluck().get());
      previous.push(`pragma ${pragma} = ${Number(current)}`);
      await this.withStatement(`pragma ${pragma} = ${value}`, (statement) => statement.run());
    }
    return async () => {
      for (const sql of previous) await this.withStatement(sql, (statement) => statement.run());
      await this.withStatement('pragma wal_checkpoint(passive)', (statement) => {
        // An inbox imports each file inside its own transaction, where SQLite refuses a checkpoint
        // (SQLITE_LOCKED); that transaction's commit checkpoints as usual, autocheckpoint being back.
        if (!statement.database.inTransaction) statement.get();
      });
    };
  }

  /**
   * PostgreSQL: the settings of one transaction of a bulk import, undone by its end. Each new product's
   * foreign key is checked by a query on `accounts`; with a few accounts the planner reads that table
   * sequentially, and every sequential scan asks the kernel for the table's size (an lseek), so a COPY of
   * 200,000 products made as many system calls. Sequential scans off, the check reads the primary key's
   * index (measured: the server's CPU time for 200,000 products 3.0–3.2 s → 2.4–2.5 s). The import's own
   * look-ups read the unique indexes either way.
   */
  async tuneTransactionForImport(): Promise<void> {
    if (this.dialect === 'postgres') await this.run('set local enable_seqscan = off', []);
  }

  /** The stored products with these SKUs (at most batchSize). */
  async storedBySku(accountId: number, skus: string[]): Promise<Map<string, StoredProduct>> {
    const found = new Map<string, StoredProduct>();
    if (skus.length === 0) return found;
    const rows = await this.query(
      `select ${STORED_COLUMNS} from products where account_id = ? and sku ${this.inList(skus.length)}`,
      [accountId, ...this.listBindings(skus)],
    );
    for (const row of rows) {
      found.set(String(row[1]), {
        id: toNumber(row[0]),
        sku: String(row[1]),
        channelItemId: toNullableString(row[2]),
        ean: toNullableString(row[3]),
        title: toNullableString(row[4]),
        leadTimeDays: toNullableNumber(row[5]),
        stock: toNumber(row[6]),
        resend: toBool(row[7]),
        stockBuffer: toNullableNumber(row[8]),
        stockMax: toNullableNumber(row[9]),
        active: toBool(row[10]),
      });
    }
    return found;
  }

  /** Which products hold these channel item ids (at most batchSize). */
  async holdersOf(accountId: number, channelItemIds: string[]): Promise<Map<string, ChannelItemHolder>> {
    const found = new Map<string, ChannelItemHolder>();
    if (channelItemIds.length === 0) return found;
    const rows = await this.query(
      `select id, sku, channel_item_id from products where account_id = ? and channel_item_id ${this.inList(channelItemIds.length)}`,
      [accountId, ...this.listBindings(channelItemIds)],
    );
    for (const row of rows) found.set(String(row[2]), { id: toNumber(row[0]), sku: String(row[1]) });
    return found;
  }

  /**
   * Inserts new products with the given fields (the others take their defaults) and returns their ids
   * in row order. The caller has checked that no SKU or channel item id is taken.
   */
  insertMany(accountId: number, fields: ImportedField[], rows: ProductValues[], now: string): Promise<number[]> {
    return this.insertNew(this.prepareNew(accountId, fields, rows, now));
  }

  /**
   * Encodes new products for `insertNew`: on PostgreSQL an import does it while the server stores the
   * previous batch, so that only the ids are left to write in when this batch's turn comes.
   */
  prepareNew(accountId: number, fields: ImportedField[], rows: ProductValues[], now: string): NewProducts {
    if (this.dialect !== 'postgres') return { accountId, fields, rows, now };
    const account = `\t${accountId}\t`;
    const times = `\t${copyTextField(now)}\t${copyTextField(now)}\n`;
    const copyTails = rows.map((row) => {
      let tail = account + copyTextField(row.sku);
      for (const field of fields)
        tail += '\t' + copyTextField(this.binding(field, row[field]) as string | number | boolean | null);
      return tail + times;
    });
    return { accountId, fields, rows, now, copyTails };
  }

  /**
   * `insertMany` of prepared products. PostgreSQL calls `sent` once the rows are on their way, before the
   * server has stored them; SQLite stores them in this process.
   */
  async insertNew(products: NewProducts, sent?: () => void): Promise<number[]> {
    if (products.copyTails) return this.copyNew(products.copyTails, products.fields, sent);
    const { accountId, fields, rows, now } = products;
    const ids: number[] = [];
    const columns = ['account_id', 'sku', ...fields.map((f) => COLUMN[f]), 'created_at', 'updated_at'];
    for (const chunk of chunks(rows, this.batchSize)) {
      const bindings: unknown[] = [];
      for (const row of chunk) {
        bindings.push(row.sku);
        for (const field of fields) bindings.push(this.binding(field, row[field]));
      }
      const sql = `insert into products (${columns.join(', ')}) values ${this.tuples(chunk.length, accountId, fields.length + 1, now)}`;
      ids.push(...(await this.insertReturningIds(sql, bindings, chunk, accountId)));
    }
    return ids;
  }

  /**
   * Writes the given fields of existing products (matched by SKU) and `updated_at`; nothing else, in
   * particular not what push-stock sent (pushed_*). `resend` is written when the file carries channel
   * item ids: a product whose stock number changed must reach The Edge under its new number.
   */
  async updateMany(accountId: number, fields: ImportedField[], rows: ProductUpdate[], now: string): Promise<void> {
    const withResend = fields.includes('channelItemId');
    const written = [...fields.map((f) => COLUMN[f]), ...(withResend ? ['resend'] : [])];
    const assignments = [...written, 'updated_at'].map((c) => `${c} = excluded.${c}`);
    const conflict = `on conflict (account_id, sku) do update set ${assignments.join(', ')}`;
    if (this.dialect === 'postgres') {
      const values = (row: ProductUpdate): unknown[] => [
        row.sku,
        ...fields.map((f) => this.binding(f, row[f])),
        ...(withResend ? [row.resend] : []),
      ];
      for (const chunk of chunks(rows, this.batchSize))
        await this.run(
          this.unnestInsert(accountId, ['sku', ...written], now, conflict),
          this.columnArrays(chunk, values),
        );
      return;
    }
    for (const chunk of chunks(rows, this.batchSize)) {
      const bindings: unknown[] = [];
      for (const row of chunk) {
        bindings.push(row.sku);
        for (const field of fields) bindings.push(this.binding(field, row[field]));
        if (withResend) bindings.push(this.bool(row.resend));
      }
      await this.run(
        `insert into products (account_id, sku, ${written.join(', ')}, created_at, updated_at) ` +
          `values ${this.tuples(chunk.length, accountId, written.length + 1, now)} ` +
          conflict,
        bindings,
      );
    }
  }

  /** Frees the channel item ids of these products, so the same transaction can hand them to others. */
  async clearChannelItemIds(productIds: number[]): Promise<void> {
    for (let start = 0; start < productIds.length; start += this.batchSize) {
      await this.db('products')
        .whereIn('id', productIds.slice(start, start + this.batchSize))
        .update({ channel_item_id: null });
    }
  }

  /**
   * PostgreSQL inserts a batch with COPY, its ids taken from the table's sequence beforehand (COPY
   * returns none; knex names an `increments()` column's sequence `<table>_id_seq`). Measured on 200,000
   * rows against one `insert … select from unnest(…) returning id` per batch: the server's CPU time
   * 2.1 s against 3.3–4.0 s, the client's 2.0 s against 2.8 s (no parameter arrays to encode).
   */
  private async copyNew(
    copyTails: string[],
    fields: ImportedField[],
    sent: (() => void) | undefined,
  ): Promise<number[]> {
    // One row holding every id: 5,000 rows of one id each cost the client more to read than the COPY to write.
    const [[idList]] = await this.query(
      `select string_agg(nextval('products_id_seq')::text, ',') as ids from generate_series(1, ?)`,
      [copyTails.length],
    );
    const ids = String(idList).split(',').map(Number);
    const columns = ['id', 'account_id', 'sku', ...fields.map((f) => COLUMN[f]), 'created_at', 'updated_at'];
    let text = '';
    copyTails.forEach((tail, index) => (text += ids[index]! + tail));
    await copyIntoTable(this.db, 'products', columns, text, sent);
    return ids;
  }

  /** `insert … select` from one array per column; `columns` start with sku. */
  private unnestInsert(accountId: number, columns: string[], now: string, onConflict: string): string {
    const time = `'${now.replaceAll("'", "''")}'`;
    const arrays = columns.map((c) => `?::${POSTGRES_TYPE[c]}[]`).join(', ');
    return (
      `insert into products (account_id, ${columns.join(', ')}, created_at, updated_at) ` +
      `select ${Number(accountId)}, ${columns.map((c) => `v.${c}`).join(', ')}, ${time}, ${time} ` +
      `from unnest(${arrays}) as v(${columns.join(', ')}) ${onConflict}`
    );
  }

  /** The rows' values as one array per column. */
  private columnArrays<T>(rows: T[], values: (row: T) => unknown[]): unknown[][] {
    const columns: unknown[][] = [];
    for (const row of rows)
      values(row).forEach((value, index) => {
        (columns[index] ??= []).push(value);
      });
    return columns;
  }

  // ----------------------------------------------------------------------------------------------
  // Statement execution

  /** `in (…)` for a list of keys: padded placeholders on SQLite, one array on PostgreSQL. */
  private inList(count: number): string {
    return this.dialect === 'postgres' ? '= any(?::text[])' : `in (${this.placeholders(count)})`;
  }

  private listBindings(values: string[]): unknown[] {
    return this.dialect === 'postgres' ? [values] : this.padded(values);
  }

  /** `?` placeholders for an IN list, padded to a fixed length so SQLite prepares one statement shape. */
  private placeholders(count: number): string {
    return new Array(Math.max(count, this.batchSize)).fill('?').join(', ');
  }

  /** Pads an IN list with its first value (repeats change nothing) to the placeholders' length. */
  private padded(values: string[]): string[] {
    if (values.length >= this.batchSize) return values;
    return values.concat(new Array<string>(this.batchSize - values.length).fill(values[0]!));
  }

  /**
   * `rows` value tuples: the account id, `bound` placeholders, and the time twice (created_at,
   * updated_at). The constants are written into the SQL, not bound: a third fewer values to bind per
   * row (measured: 10% of the insert time).
   */
  private tuples(rows: number, accountId: number, bound: number, now: string): string {
    const time = `'${now.replaceAll("'", "''")}'`;
    const tuple = `(${Number(accountId)}, ${new Array(bound).fill('?').join(', ')}, ${time}, ${time})`;
    return new Array(rows).fill(tuple).join(', ');
  }

  /**
   * A field's bound value. An empty active cell means "leave it": the import fills in the stored value
   * for an update, and a new product is active.
   */
  private binding(field: ImportedField, value: ProductValues[ImportedField]): unknown {
    if (field === 'active') return this.bool(value !== false);
    return value ?? null;
  }

  private bool(value: boolean): unknown {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  private query(sql: string, bindings: unknown[]): Promise<unknown[][]> {
    return queryRows(this.db, this.dialect, sql, bindings);
  }

  private async run(sql: string, bindings: unknown[]): Promise<void> {
    await runStatement(this.db, this.dialect, sql, bindings);
  }

  /**
   * Runs an insert on SQLite and returns the new ids in row order. RETURNING costs ~20% of the whole
   * import, while one statement inserting n rows under the transaction's write lock gives them n
   * increasing rowids ending at `lastInsertRowid`; the first row's id is read back to prove they are
   * consecutive.
   */
  private async insertReturningIds(
    sql: string,
    bindings: unknown[],
    rows: ProductValues[],
    accountId: number,
  ): Promise<number[]> {
    const { lastInsertRowid, changes } = await this.withStatement(sql, (statement) => statement.run(bindings));
    const first = Number(lastInsertRowid) - changes + 1;
    const stored = await this.query(`select id from products where account_id = ? and sku = ?`, [
      accountId,
      rows[0]!.sku,
    ]);
    if (changes !== rows.length || toNumber(stored[0]?.[0]) !== first) {
      throw new Error(
        `products insert: expected ${rows.length} rows with consecutive ids from ${first}, got ${changes} from ${String(stored[0]?.[0])}`,
      );
    }
    return rows.map((_, index) => first + index);
  }

  private withStatement<T>(sql: string, use: (statement: BetterSqlite3.Statement<unknown[]>) => T): Promise<T> {
    return withSqliteStatement(this.db, sql, use);
  }
}

/**
 * Splits rows into statements of `max` rows, and a remainder into power-of-two sizes (300 → 256, 32, 8,
 * 4), so a SQLite connection keeps about ten prepared shapes per statement instead of one per size.
 */
export function* chunks<T>(rows: T[], max: number): Generator<T[]> {
  let start = 0;
  while (start < rows.length) {
    const left = rows.length - start;
    const size = left >= max ? max : 2 ** Math.floor(Math.log2(left));
    yield rows.slice(start, start + size);
    start += size;
  }
}

function productFromRow(row: Record<string, unknown>): Product {
  return {
    id: toNumber(row.id),
    accountId: toNumber(row.account_id),
    sku: String(row.sku),
    channelItemId: toNullableString(row.channel_item_id),
    ean: toNullableString(row.ean),
    title: toNullableString(row.title),
    leadTimeDays: toNullableNumber(row.lead_time_days),
    stock: toNumber(row.stock),
    stockBuffer: toNullableNumber(row.stock_buffer),
    stockMax: toNullableNumber(row.stock_max),
    active: toBool(row.active),
    pushedStock: toNullableNumber(row.pushed_stock),
    pushedLeadTimeDays: toNullableNumber(row.pushed_lead_time_days),
    pushedAt: toNullableString(row.pushed_at),
    resend: toBool(row.resend),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}
