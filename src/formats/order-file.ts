/**
 * The inbound order file (SPEC §4.2): `order-<token>.txt`, one order per file, in the two-section layout.
 * `parseOrderFile` never throws on bad input; it returns what it could read plus precise problems.
 * Any `high` problem means the order is stored as incomplete and never acknowledged.
 */
import { MARKER_SUFFIX } from './marker.js';
import { normaliseColumnName, parseTwoSection, setField, type FormatProblem } from './two-section.js';

/** ✔ SPEC §4.2: `order-<20-digit token>.txt`. */
export const ORDER_FILE_PATTERN = /^order-\d{20}\.txt$/;

export function isOrderFileName(name: string): boolean {
  return ORDER_FILE_PATTERN.test(name);
}

/** An order file's name or one of its marker names. */
export function isOrderFileOrMarkerName(name: string): boolean {
  return isOrderFileName(name.replace(/\.DONE$/, '')) || /^order-\d{20}\.DONE$/.test(name);
}

/**
 * The marker names that make `name` ready: ✔ `order-X.txt.DONE`, and ◇ SPEC §4.2 also `order-X.DONE`
 * (the extension replaced). A name without an extension has just the one form.
 */
export function markerNamesFor(name: string): string[] {
  const short = withoutExtension(name);
  return short === name ? [name + MARKER_SUFFIX] : [name + MARKER_SUFFIX, short + MARKER_SUFFIX];
}

function withoutExtension(name: string): string {
  return name.replace(/\.[^.]*$/, '');
}

/**
 * Which names of a folder listing have one of their markers (`markerNamesFor`) in it, from one pass
 * over the listing: a folder that keeps a year of files is looked through on every run.
 */
export function markedNames(names: Iterable<string>): (name: string) => boolean {
  const marked = new Set<string>();
  for (const name of names) if (name.endsWith(MARKER_SUFFIX)) marked.add(name.slice(0, -MARKER_SUFFIX.length));
  return (name) => marked.has(name) || marked.has(withoutExtension(name));
}

/** Where an order goes: The Edge's order section carries them, and the warehouse export repeats them on every row. */
export const SHIPPING_COLUMNS = [
  'shipping_title',
  'shipping_full_name',
  'shipping_address_1',
  'shipping_address_2',
  'shipping_address_3',
  'shipping_city',
  'shipping_postcode',
  'shipping_country',
  'shipping_phone',
  'shipping_email',
] as const;

/** ✔/◇ SPEC §4.2: order-section columns we know and store by name; any other column is kept as an extra. */
export const ORDER_COLUMNS = [
  'order_number',
  'supplier_ref',
  'test_flag',
  'order_date',
  'po_enduser',
  'retailer_ref',
  'customer_ref',
  ...SHIPPING_COLUMNS,
  'expected_delivery_date',
  'currency_code',
  'comments',
] as const;

/** ✔/◇ SPEC §4.2: item columns we know and store by name. */
export const ITEM_COLUMNS = [
  'line_ref',
  'part_number',
  'quantity',
  'additional_ref',
  'description',
  'name',
  'promised_date',
  'unit_cost_price',
  'unit_price',
  'sub_total',
  'tax',
  'tax_rate',
  'total',
] as const;

export type OrderColumn = (typeof ORDER_COLUMNS)[number];
export type ItemColumn = (typeof ITEM_COLUMNS)[number];

export const REQUIRED_ORDER_COLUMNS: readonly OrderColumn[] = ['order_number'];
export const REQUIRED_ITEM_COLUMNS: readonly ItemColumn[] = ['line_ref', 'part_number', 'quantity'];

/** ✔ SPEC §4.2: one letter and nine digits, e.g. `Y100009263`. */
const ORDER_NUMBER_SHAPE = /^[A-Za-z]\d{9}$/;

export interface ParsedOrderLine {
  /** 1-based line in the file where this item starts. */
  line: number;
  /** Trimmed `line_ref` ('' when blank or absent; a problem says so). */
  lineRef: string;
  /** Trimmed `part_number` ('' when blank or absent; a problem says so). */
  partNumber: string;
  /** A whole number ≥ 1, or null when the file's value is not one (a problem says why). */
  quantity: number | null;
  /**
   * Trimmed `unit_price` as a decimal string, else null. `unit_cost_price` is the seller's cost, not what
   * the customer paid, so it is never used here (refund amounts are checked against the customer price).
   */
  unitPrice: string | null;
  /** Known item columns as written in the file (untrimmed), by canonical column name. */
  fields: Partial<Record<ItemColumn, string>>;
  /** Unknown item columns, by their name as written: kept so nothing is lost when The Edge adds a column. */
  extra: Record<string, string>;
}

export interface ParsedOrder {
  /** Trimmed `order_number`; null only when it is absent or blank (a high problem says so). */
  orderNumber: string | null;
  /** Known order columns as written in the file, by canonical column name. */
  order: Partial<Record<OrderColumn, string>>;
  /** Unknown order columns, by their name as written. */
  extraOrderFields: Record<string, string>;
  lines: ParsedOrderLine[];
  problems: FormatProblem[];
}

/** Split a row into known columns (by canonical name) and unknown ones (by their name as written). */
function splitKnown<Known extends string>(
  row: Record<string, string>,
  known: readonly Known[],
): { fields: Partial<Record<Known, string>>; extra: Record<string, string> } {
  const knownNames = new Set<string>(known);
  const fields: Partial<Record<Known, string>> = {};
  const extra: Record<string, string> = {};
  for (const [column, value] of Object.entries(row)) {
    const canonical = normaliseColumnName(column);
    if (knownNames.has(canonical)) fields[canonical as Known] = value;
    else setField(extra, column, value);
  }
  return { fields, extra };
}

function missingColumns(columns: string[], required: readonly string[]): string[] {
  const present = new Set(columns.map(normaliseColumnName));
  return required.filter((name) => !present.has(name));
}

/**
 * ◇ SPEC §4.2: a quantity is a whole number of at least 1; `2.00` is accepted as 2 because some exports
 * write every number with decimals.
 */
function parseQuantity(raw: string, line: number, problems: FormatProblem[]): number | null {
  const text = raw.trim();
  if (text === '') {
    problems.push({ severity: 'high', line, message: `line ${line}: quantity is blank` });
    return null;
  }
  const quantity = Number(text);
  if (!/^[+-]?\d+(\.0+)?$/.test(text) || !Number.isSafeInteger(quantity)) {
    problems.push({
      severity: 'high',
      line,
      message: `line ${line}: quantity ${JSON.stringify(raw)} is not a whole number`,
    });
    return null;
  }
  if (quantity < 1) {
    problems.push({
      severity: 'high',
      line,
      message: `line ${line}: quantity ${JSON.stringify(raw)} must be at least 1`,
    });
    return null;
  }
  return quantity;
}

/** A unit price that is not a plain decimal only blocks later refund-amount checks, so it is a low problem. */
function parseUnitPrice(raw: string | undefined, line: number, problems: FormatProblem[]): string | null {
  const text = raw?.trim() ?? '';
  if (text === '') return null;
  if (!/^\d+(\.\d+)?$/.test(text)) {
    problems.push({
      severity: 'low',
      line,
      message: `line ${line}: unit_price ${JSON.stringify(raw)} is not a number; it is ignored`,
    });
    return null;
  }
  return text;
}

export function parseOrderFile(data: Buffer, options: { encoding?: string } = {}): ParsedOrder {
  const layout = parseTwoSection(data, options);
  const problems = [...layout.problems];

  if (layout.orderColumns.length > 0) {
    for (const column of missingColumns(layout.orderColumns, REQUIRED_ORDER_COLUMNS)) {
      problems.push({ severity: 'high', line: 1, message: `line 1: the order header has no ${column} column` });
    }
  }
  if (layout.itemColumns.length > 0) {
    for (const column of missingColumns(layout.itemColumns, REQUIRED_ITEM_COLUMNS)) {
      problems.push({ severity: 'high', line: 3, message: `line 3: the item header has no ${column} column` });
    }
  }

  const { fields: order, extra: extraOrderFields } = splitKnown(layout.order, ORDER_COLUMNS);
  // An absent value is already explained by a missing column, a missing line or a short row.
  let orderNumber: string | null = null;
  if (order.order_number !== undefined) {
    const trimmed = order.order_number.trim();
    if (trimmed === '') {
      problems.push({ severity: 'high', line: 2, message: 'line 2: order_number is blank' });
    } else {
      orderNumber = trimmed;
      if (!ORDER_NUMBER_SHAPE.test(trimmed)) {
        problems.push({
          severity: 'high',
          line: 2,
          message: `line 2: order_number ${JSON.stringify(trimmed)} is not one letter followed by nine digits`,
        });
      }
    }
  }

  const lines: ParsedOrderLine[] = [];
  const firstLineOfRef = new Map<string, number>();
  for (const item of layout.items) {
    const { line } = item;
    const { fields, extra } = splitKnown(item.fields, ITEM_COLUMNS);
    const lineRef = fields.line_ref?.trim() ?? '';
    const partNumber = fields.part_number?.trim() ?? '';
    if (fields.line_ref !== undefined && lineRef === '') {
      problems.push({ severity: 'high', line, message: `line ${line}: line_ref is blank` });
    }
    if (lineRef !== '') {
      const earlier = firstLineOfRef.get(lineRef);
      if (earlier === undefined) firstLineOfRef.set(lineRef, line);
      else
        problems.push({
          severity: 'high',
          line,
          message: `line ${line}: line_ref ${JSON.stringify(lineRef)} is also used on line ${earlier}`,
        });
    }
    if (fields.part_number !== undefined && partNumber === '') {
      problems.push({ severity: 'high', line, message: `line ${line}: part_number is blank` });
    }
    const quantity = fields.quantity === undefined ? null : parseQuantity(fields.quantity, line, problems);
    const unitPrice = parseUnitPrice(fields.unit_price, line, problems);
    lines.push({ line, lineRef, partNumber, quantity, unitPrice, fields, extra });
  }
  if (layout.itemColumns.length > 0 && layout.items.length === 0) {
    problems.push({ severity: 'high', line: null, message: 'the order has no item lines (line 4 onwards)' });
  }

  return { orderNumber, order, extraOrderFields, lines, problems };
}
