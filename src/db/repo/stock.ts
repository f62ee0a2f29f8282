import type { Knex } from 'knex';
import type { TradedCodeSource } from '../../core/account-settings.js';
import { TRADED_CODE_MAX_LENGTH } from '../../formats/inventory.js';
import type { Dialect } from '../connection.js';
import { toNullableNumber, toNullableString, toNumber } from './normalise.js';
import { queryRows, runStatement } from './statements.js';

/**
 * push-stock's side of the products table and the stock errors The Edge reports back (SPEC §4.6–4.7):
 * which products an inventory file carries, what was pushed, and which errors are still open.
 *
 * The selection reads in keyset pages (`id > last id`), never the whole catalogue at once: knex's
 * `.stream()` on SQLite runs the query to completion before it emits a row, so it would hold 200,000
 * rows in memory; and a better-sqlite3 `.iterate()` held open across the caller's awaits would keep the
 * pool's only connection from everyone else. The selection and `markPushed` run as plain SQL with rows as
 * arrays (`statements.ts`): through knex's builder the 200,000-row selection took half as long again.
 */

export interface PushSelection {
  accountId: number;
  /** The account's standard delivery time, sent for products without a lead time of their own. */
  defaultLeadTimeDays: number;
  tradedCodeSource: TradedCodeSource;
}

/**
 * A listed product as push-stock reads it, as the database returns it (an array: no object per row for
 * 200,000 rows). The stock sent is not here: the stock rules (`core/stock-rules.ts`) derive it from the
 * stored stock and the rule columns, and the delta compares it with `pushedStock`.
 * - partNumber: the channel item id (John Lewis' stock number);
 * - tradedCode: per the account's traded code source, at most 20 characters; '' when the source is none;
 * - leadTimeDays: the product's, else the account's;
 * - pushedStock: the stock last sent, null when the line changed whatever the stock sent now: the product
 *   was never pushed, is marked for re-send, or its traded code or lead time differs from its pushed
 *   record (one column for both: each column of 200,000 rows costs the driver more than the query).
 */
export type PushCandidate = readonly [
  productId: number,
  partNumber: string,
  tradedCode: string,
  leadTimeDays: number,
  stock: number,
  stockBuffer: number | null,
  stockMax: number | null,
  active: 0 | 1,
  pushedStock: number | null,
];

export interface StoredStockError {
  id: number;
  accountId: number;
  productId: number | null;
  /** The product's SKU, null when the part number matches no product of the account. */
  sku: string | null;
  partNumber: string;
  message: string;
  createdAt: string;
  /** The error file that reported it. */
  fileName: string | null;
}

/** Sent rows in the compact form `markPushed` takes (see `PushedRowsBatch`). */
export type EncodedPushRows = string & { readonly encodedPushRows: unique symbol };

/**
 * Sent rows as `markPushed` takes them: one JSON array of `[productId, partNumber, tradedCode,
 * leadTimeDays, sentStock]` per batch, text that push-stock keeps in a local file between building the
 * inventory file and the verified upload, so memory stays flat. (JSON.stringify of one array
 * per row: measured faster than writing the JSON text by hand.)
 */
export class PushedRowsBatch {
  private readonly sent: unknown[][] = [];

  get rows(): number {
    return this.sent.length;
  }

  add(productId: number, partNumber: string, tradedCode: string, leadTimeDays: number, sentStock: number): void {
    this.sent.push([productId, partNumber, tradedCode, leadTimeDays, sentStock]);
  }

  encoded(): EncodedPushRows {
    return JSON.stringify(this.sent) as EncodedPushRows;
  }
}

/**
 * SQLite's page cache, in KiB, on a connection that records a push: room for every page of the products
 * table a first push of 200,000 products rewrites (31 MB), which SQLite otherwise spills to the
 * write-ahead log in the middle of the transaction and writes again at commit (measured: 0.50 s of CPU
 * for the recording, 0.40 s with the room). A bound, not a reservation: pages are taken as they are used,
 * and a larger catalogue spills the rest.
 */
const PUSH_RECORD_CACHE_KIB = 65_536;

/** Rows per page of the push selection: large enough that per-query overhead vanishes, small enough to stay flat. */
const PUSH_PAGE_SIZE = 5000;

/**
 * The traded code as sent, computed by the database so the delta compares exactly what the file carries.
 * `substr` counts characters on both SQLite and PostgreSQL, as the inventory format does.
 */
function tradedCodeSql(source: TradedCodeSource): string {
  switch (source) {
    case 'none':
      return `''`;
    case 'sku':
      return `substr(sku, 1, ${TRADED_CODE_MAX_LENGTH})`;
    case 'ean':
      return `substr(coalesce(ean, ''), 1, ${TRADED_CODE_MAX_LENGTH})`;
  }
}

export class StockRepo {
  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
    /** Rows per multi-row statement (Repository.batchSize). */
    private readonly batchSize: number,
  ) {}

  /**
   * Every listed product of the account (only products with a channel item id are ever sent, SPEC §2),
   * page by page in id order. Full or delta, every one is read: whether the stock sent changes depends on
   * the stock rules, which are applied in code, in one place; a delta keeps the rows whose sent values
   * differ from the pushed record (measured on 200,000 products: a delta with nothing to send takes about
   * twice as long as when SQL narrowed it).
   */
  async *pagesToPush(selection: PushSelection, pageSize = PUSH_PAGE_SIZE): AsyncGenerator<PushCandidate[]> {
    const tradedCode = tradedCodeSql(selection.tradedCodeSource);
    const leadTime = 'coalesce(lead_time_days, ?)';
    const lead = selection.defaultLeadTimeDays;
    const otherwiseChanged = `(resend = true or pushed_at is null or pushed_lead_time_days is null
      or pushed_traded_code is null or ${leadTime} <> pushed_lead_time_days or ${tradedCode} <> pushed_traded_code)`;
    // In PushCandidate's order and typed by the database (integers and text on both engines), so the rows
    // are handed on as they come. Each page must walk the primary key from the last id and stop after a page:
    // through the (account_id, channel_item_id) index SQLite would scan the account's whole index and sort it,
    // so unary plus keeps it off that index there. PostgreSQL must see the plain column: it cannot estimate
    // `+account_id`, guesses a handful of rows, and reads and sorts the whole table for every page instead
    // (measured: 130–240 ms a page of 5,000 on 200,000 products).
    const accountColumn = this.dialect === 'sqlite' ? '+account_id' : 'account_id';
    const sql = `select id, channel_item_id, ${tradedCode} as traded_code, ${leadTime} as lead_time_days,
        stock, stock_buffer, stock_max, case when active then 1 else 0 end as active,
        case when ${otherwiseChanged} then null else pushed_stock end as pushed_stock
      from products
      where ${accountColumn} = ? and channel_item_id is not null and channel_item_id <> '' and id > ?
      order by id limit ?`;
    let afterId = 0;
    for (;;) {
      const bindings = [lead, lead, selection.accountId, afterId, pageSize];
      const rows = (await queryRows(this.db, this.dialect, sql, bindings)) as unknown as PushCandidate[];
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < pageSize) return;
      afterId = rows[rows.length - 1][0];
    }
  }

  /**
   * Records what a verified upload sent, product by product, from the rows as they were written to the
   * file — never re-read values, so a stock change made while the push was running differs from
   * `pushed_stock` and goes out with the next delta. A product whose channel item id changed meanwhile
   * is left unpushed: the file carried its old stock number. Each of `batches` comes from
   * `PushedRowsBatch` (a page of rows at most); call it inside the transaction that marks the outbox row sent.
   *
   * A product whose pushed record already holds the sent values (and is not marked for re-send) is left
   * as it is, so `pushed_at` is when The Edge first received the values it has now, and the nightly full
   * push of a mostly unchanged catalogue writes only what changed. Returns the number of products whose
   * pushed record changed.
   */
  async markPushed(batches: AsyncIterable<EncodedPushRows>, pushedAt: string): Promise<number> {
    // Left set for the rest of the run: pages are taken only as they are used.
    if (this.dialect === 'sqlite')
      await runStatement(this.db, this.dialect, `pragma cache_size = -${PUSH_RECORD_CACHE_KIB}`, []);
    let changed = 0;
    for await (const batch of batches) changed += await this.markPushedBatch(batch, pushedAt);
    return changed;
  }

  private async markPushedBatch(batch: EncodedPushRows, pushedAt: string): Promise<number> {
    // The whole batch travels as one JSON value: a statement with thousands of bound values costs more
    // to compile than to run. Each sent row is looked up by its primary key. SQLite's `jsonb_each` (3.45+;
    // better-sqlite3 bundles its own SQLite) hands each row over already parsed, so reading its five values
    // does not parse it five times. (Measured on SQLite for a first push of 200,000 rows: jsonb_each 0.36 s,
    // json_each 0.43 s, a prepared update per row 0.60 s, a temporary table joined once 0.56 s.)
    const sqlite = this.dialect === 'sqlite';
    const source = sqlite ? 'jsonb_each(?) as sent' : 'jsonb_array_elements(?::jsonb) as sent(value)';
    // Positions in a sent row (`PushedRowsBatch.add`).
    const sent = (index: number, type: 'integer' | 'text'): string =>
      sqlite || type === 'text' ? `(sent.value ->> ${index})` : `(sent.value ->> ${index})::integer`;
    const differs = sqlite ? 'is not' : 'is distinct from';
    const sql = `update products
       set pushed_stock = ${sent(4, 'integer')}, pushed_lead_time_days = ${sent(3, 'integer')},
           pushed_traded_code = ${sent(2, 'text')}, pushed_at = ?, resend = false
       from ${source}
       where products.id = ${sent(0, 'integer')} and products.channel_item_id = ${sent(1, 'text')}
         and (products.resend = true or products.pushed_at is null
              or products.pushed_stock ${differs} ${sent(4, 'integer')}
              or products.pushed_lead_time_days ${differs} ${sent(3, 'integer')}
              or products.pushed_traded_code ${differs} ${sent(2, 'text')})`;
    return runStatement(this.db, this.dialect, sql, [pushedAt, batch]);
  }

  /**
   * Records the errors of a stock error file already stored in the inbound log (call it in the same
   * transaction): one stock error per reported line, attached to the account's product with that channel
   * item id (none when no product has it), and those products marked for re-send so the next inventory
   * file carries them even when nothing else changed. Returns the products named.
   */
  async recordErrors(file: {
    accountId: number;
    inboundFileId: number;
    errors: { partNumber: string; message: string }[];
    now: string;
  }): Promise<number[]> {
    const productByPart = await this.productIdsByPartNumber(file.accountId, [
      ...new Set(file.errors.map((e) => e.partNumber)),
    ]);
    const records = file.errors.map((error) => ({
      account_id: file.accountId,
      product_id: productByPart.get(error.partNumber) ?? null,
      inbound_file_id: file.inboundFileId,
      part_number: error.partNumber,
      message: error.message,
      created_at: file.now,
    }));
    for (let start = 0; start < records.length; start += this.batchSize) {
      await this.db('stock_errors').insert(records.slice(start, start + this.batchSize));
    }
    const productIds = [...new Set(productByPart.values())];
    for (let start = 0; start < productIds.length; start += this.batchSize) {
      await this.db('products')
        .whereIn('id', productIds.slice(start, start + this.batchSize))
        .update({ resend: true });
    }
    return productIds;
  }

  /** Open (not cleared) stock errors of an account, or of one product, oldest first. */
  async openErrors(filter: {
    accountId: number;
    productId?: number;
    partNumber?: string;
  }): Promise<StoredStockError[]> {
    const query = this.db('stock_errors')
      .leftJoin('products', 'products.id', 'stock_errors.product_id')
      .leftJoin('inbound_files', 'inbound_files.id', 'stock_errors.inbound_file_id')
      .where('stock_errors.account_id', filter.accountId)
      .whereNull('stock_errors.cleared_at')
      .orderBy('stock_errors.id')
      .select(
        'stock_errors.id',
        'stock_errors.account_id',
        'stock_errors.product_id',
        'stock_errors.part_number',
        'stock_errors.message',
        'stock_errors.created_at',
        'products.sku',
        'inbound_files.remote_name',
      );
    if (filter.productId !== undefined) query.where('stock_errors.product_id', filter.productId);
    if (filter.partNumber !== undefined) query.where('stock_errors.part_number', filter.partNumber);
    return (await query).map((row) => ({
      id: toNumber(row.id),
      accountId: toNumber(row.account_id),
      productId: toNullableNumber(row.product_id),
      sku: toNullableString(row.sku),
      partNumber: String(row.part_number),
      message: String(row.message),
      createdAt: String(row.created_at),
      fileName: toNullableString(row.remote_name),
    }));
  }

  /** Products of the account with at least one open stock error: few, so push-stock keeps them in memory. */
  async productIdsWithOpenErrors(accountId: number): Promise<Set<number>> {
    const rows = await this.db('stock_errors')
      .distinct('product_id')
      .where({ account_id: accountId })
      .whereNull('cleared_at')
      .whereNotNull('product_id');
    return new Set(rows.map((row) => toNumber(row.product_id)));
  }

  /** A later error-free push supersedes the open errors of these products (SPEC §4.7). Returns how many. */
  async clearErrorsOfProducts(accountId: number, productIds: number[], now: string): Promise<number> {
    let cleared = 0;
    for (let start = 0; start < productIds.length; start += this.batchSize) {
      cleared += toNumber(
        await this.db('stock_errors')
          .where({ account_id: accountId })
          .whereNull('cleared_at')
          .whereIn('product_id', productIds.slice(start, start + this.batchSize))
          .update({ cleared_at: now, cleared_by: 'push' }),
      );
    }
    return cleared;
  }

  /** `stock-errors clear`: a person clears the open errors of one part number, or all of an account's. */
  async clearErrorsByHand(filter: { accountId: number; partNumber?: string }, now: string): Promise<number> {
    const query = this.db('stock_errors').where({ account_id: filter.accountId }).whereNull('cleared_at');
    if (filter.partNumber !== undefined) query.where({ part_number: filter.partNumber });
    return toNumber(await query.update({ cleared_at: now, cleared_by: 'manual' }));
  }

  private async productIdsByPartNumber(accountId: number, partNumbers: string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (let start = 0; start < partNumbers.length; start += this.batchSize) {
      const rows = await this.db('products')
        .where({ account_id: accountId })
        .whereIn('channel_item_id', partNumbers.slice(start, start + this.batchSize))
        .select('id', 'channel_item_id');
      for (const row of rows) found.set(String(row.channel_item_id), toNumber(row.id));
    }
    return found;
  }
}
