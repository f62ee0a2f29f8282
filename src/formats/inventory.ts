/**
 * The inventory file (SPEC §4.6, outbound, StockUpdate): a plain CSV with a header row, no count line and
 * no `.DONE` marker. Rendered line by line so `push-stock` can stream 200,000 products to a local file:
 * each function returns one line of text (with its line ending); the caller encodes it with
 * `encodeText(text, options.encoding)` (or writes UTF-8 directly when that is the encoding).
 */
import { DEFAULT_OUTBOUND, renderField, renderLine, renderWholeNumber, type OutboundOptions } from './delimited.js';
import { tokenFileName } from './file-name-token.js';

/** ✔ SPEC §4.6 columns; ◇ the stock column's name `free_stock` is our choice and lives only here. */
export const INVENTORY_COLUMNS = ['part_number', 'tradedCode', 'current_lead_time_to_delivery_in_days', 'free_stock'];

/** ✔ SPEC §4.6: The Edge accepts a traded code of up to 20 characters. */
export const TRADED_CODE_MAX_LENGTH = 20;

export interface InventoryRow {
  /** The 8-digit stock number (the product's channel item id). */
  partNumber: string;
  /** Per the account's traded code source; null when none. */
  tradedCode: string | null;
  /** The product's lead time, else the account default (resolved by the caller). */
  leadTimeDays: number;
  /** Units available as stored; may be negative. */
  stock: number;
}

/** ✔ SPEC §4.6: `inventory-<token>.csv`. */
export function inventoryFileName(token: string): string {
  return tokenFileName('inventory-', token, '.csv');
}

export function renderInventoryHeader(options: OutboundOptions = DEFAULT_OUTBOUND): string {
  return renderLine(INVENTORY_COLUMNS, options);
}

/**
 * ◇ SPEC §4.6: negative stock (a warehouse figure stored as given) is sent as 0. A traded code longer than
 * 20 characters is cut to its first 20 (counted in characters, never splitting one): refusing it would hold
 * back the product's stock update, and the part number, not the traded code, identifies the product.
 *
 * Called once per product (200,000 in a nightly push), so it builds the line directly instead of through
 * `renderLine`, with the same quoting; the delimiter is checked once per file, by `renderInventoryHeader`.
 */
export function renderInventoryRow(row: InventoryRow, options: OutboundOptions = DEFAULT_OUTBOUND): string {
  const { delimiter } = options;
  return (
    renderField(row.partNumber, delimiter) +
    delimiter +
    renderField(cutToCharacters(row.tradedCode ?? '', TRADED_CODE_MAX_LENGTH), delimiter) +
    delimiter +
    renderWholeNumber(row.leadTimeDays, 'lead time days') +
    delimiter +
    renderWholeNumber(Math.max(0, row.stock), 'stock') +
    options.lineEnding
  );
}

/** The first `max` characters of `text` (code points: a surrogate pair is never split). */
function cutToCharacters(text: string, max: number): string {
  // At most `max` UTF-16 units is at most `max` characters: the usual case needs no splitting.
  return text.length <= max ? text : Array.from(text).slice(0, max).join('');
}
