/**
 * The two-section layout of The Edge's order-type files (SPEC §4.1):
 *
 *   line 1   order header names
 *   line 2   order values
 *   line 3   item header names
 *   line 4…  one line per item
 *   last     the number of lines that precede it
 *
 * Parsing is by header name, never by position within a section. Column names are kept as written
 * (surrounding spaces trimmed) and compared through `normaliseColumnName`, so `Order_Number` and
 * `order number` both find `order_number`.
 */
import {
  DEFAULT_OUTBOUND,
  decodeTextWithFallback,
  encodeText,
  isBlankRecord,
  parseDelimitedText,
  renderLine,
  renderWholeNumber,
  type OutboundOptions,
  type ParsedRecord,
} from './delimited.js';

/** ✔ SPEC §4.2: the error text The Edge's own integration uses, verbatim. */
export const COUNT_MISMATCH_MESSAGE =
  'There is a mismatch between expected lines and actual read lines within the order file';
export const MISSING_COUNT_LINE_MESSAGE = 'missing count line: the last line should hold the number of lines before it';
export const EMPTY_FILE_MESSAGE = 'file is empty';

/**
 * `high`: the data cannot be trusted as read (an order with one is incomplete);
 * `low`: worth showing, nothing was lost or misread.
 * `message` names its line (`line 5: …`) except for the verbatim count-mismatch text, whose line is in `line`.
 */
export interface FormatProblem {
  severity: 'high' | 'low';
  line: number | null;
  message: string;
}

export interface TwoSectionItem {
  line: number;
  /** Item values by item header name (as written); a short row only has the columns it reaches. */
  fields: Record<string, string>;
}

export interface TwoSectionParse {
  delimiter: string;
  /** Order header names as written (trimmed); empty when line 1 is missing. */
  orderColumns: string[];
  /** Order values by order header name (as written). */
  order: Record<string, string>;
  itemColumns: string[];
  items: TwoSectionItem[];
  /** The number on the count line, or null when there is none. */
  declaredCount: number | null;
  problems: FormatProblem[];
}

/** How header names are compared: case, surrounding spaces, and spaces/hyphens versus underscores do not matter. */
export function normaliseColumnName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/**
 * Store a value under a name that came from the file. Plain assignment would silently drop a column
 * named `__proto__` (it sets the prototype instead), and nothing read from a file may be lost.
 */
export function setField(target: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * ◇ SPEC §4.1: the count line is the last non-blank line when its first field is all digits and any further
 * fields are empty (some writers pad every line to the same width: `5,,,`). Blank lines after it are ignored.
 */
function countLineValue(record: ParsedRecord): number | null {
  const [first, ...rest] = record.fields;
  if (!/^\d+$/.test(first.trim()) || rest.some((field) => field.trim() !== '')) return null;
  return Number(first.trim());
}

function headerColumns(record: ParsedRecord, sectionName: string, problems: FormatProblem[]): string[] {
  const columns = record.fields.map((field) => field.trim());
  // A trailing delimiter on the header line names no column; rows may then carry it or not.
  while (columns.length > 0 && columns[columns.length - 1] === '') columns.pop();
  if (columns.length === 0) {
    problems.push({
      severity: 'high',
      line: record.line,
      message: `line ${record.line}: the ${sectionName} header is empty`,
    });
  }
  const seen = new Set<string>();
  for (const column of columns) {
    const key = normaliseColumnName(column);
    if (key === '') continue;
    if (seen.has(key)) {
      problems.push({
        severity: 'high',
        line: record.line,
        message: `line ${record.line}: column ${JSON.stringify(column)} appears more than once in the ${sectionName} header; the first one is used`,
      });
    }
    seen.add(key);
  }
  return columns;
}

/**
 * Map a row onto its header. A row with fewer fields than the header is reported and not padded; extra
 * fields are reported when they hold data (empty ones are a harmless trailing delimiter) and dropped.
 */
function mapRow(
  columns: string[],
  record: ParsedRecord,
  sectionName: string,
  problems: FormatProblem[],
): Record<string, string> {
  const { line, fields } = record;
  const extraHoldsData = fields.slice(columns.length).some((field) => field.trim() !== '');
  if (fields.length < columns.length || extraHoldsData) {
    problems.push({
      severity: 'high',
      line,
      message: `line ${line}: ${fields.length} fields, the ${sectionName} header has ${columns.length}`,
    });
  }
  const mapped: Record<string, string> = {};
  const used = new Set<string>();
  const reachable = Math.min(columns.length, fields.length);
  for (let position = 0; position < reachable; position++) {
    const column = columns[position];
    const value = fields[position];
    const key = normaliseColumnName(column);
    if (key === '') {
      // An unnamed column between named ones holds nothing we can store by name; say so if a row uses it.
      if (value.trim() !== '') {
        problems.push({
          severity: 'high',
          line,
          message: `line ${line}: value ${JSON.stringify(value)} is in column ${position + 1}, which has no name in the ${sectionName} header`,
        });
      }
      continue;
    }
    if (used.has(key)) continue;
    used.add(key);
    setField(mapped, column, value);
  }
  return mapped;
}

/**
 * Parse a two-section file. Never throws on bad input: every defect is a problem, and whatever could be
 * read is returned.
 *
 * ◇ SPEC §4.1 "the number of lines that precede it": we count RECORDS (logical lines), not physical lines,
 * because a line break inside a quoted field is part of one record. Blank lines before the count line are
 * lines and are counted (and reported when they sit among the items).
 */
export function parseTwoSection(data: Buffer, options: { encoding?: string } = {}): TwoSectionParse {
  const result: TwoSectionParse = {
    delimiter: DEFAULT_OUTBOUND.delimiter,
    orderColumns: [],
    order: {},
    itemColumns: [],
    items: [],
    declaredCount: null,
    problems: [],
  };
  const { problems } = result;
  const decoded = decodeTextWithFallback(data, options.encoding);
  if (decoded.problem) problems.push({ ...decoded.problem, line: null });
  const parsed = parseDelimitedText(decoded.text);
  result.delimiter = parsed.delimiter;
  for (const problem of parsed.problems) problems.push({ severity: 'high', ...problem });

  const { records } = parsed;
  let lastContentIndex = records.length - 1;
  while (lastContentIndex >= 0 && isBlankRecord(records[lastContentIndex])) lastContentIndex--;
  if (lastContentIndex < 0) {
    problems.push({ severity: 'high', line: null, message: EMPTY_FILE_MESSAGE });
    return result;
  }

  const countLine = records[lastContentIndex];
  result.declaredCount = countLineValue(countLine);
  const body = records.slice(0, result.declaredCount === null ? lastContentIndex + 1 : lastContentIndex);
  if (result.declaredCount === null) {
    problems.push({ severity: 'high', line: null, message: MISSING_COUNT_LINE_MESSAGE });
  } else if (result.declaredCount !== body.length) {
    problems.push({ severity: 'high', line: countLine.line, message: COUNT_MISMATCH_MESSAGE });
  }

  const [orderHeader, orderValues, itemHeader, ...itemRecords] = body;
  if (orderHeader === undefined) {
    problems.push({ severity: 'high', line: null, message: 'the order header (line 1) is missing' });
    return result;
  }
  result.orderColumns = headerColumns(orderHeader, 'order', problems);
  if (orderValues === undefined) {
    problems.push({ severity: 'high', line: null, message: 'the order values (line 2) are missing' });
    return result;
  }
  result.order = mapRow(result.orderColumns, orderValues, 'order', problems);
  if (itemHeader === undefined) {
    problems.push({ severity: 'high', line: null, message: 'the item header (line 3) is missing' });
    return result;
  }
  result.itemColumns = headerColumns(itemHeader, 'item', problems);
  for (const record of itemRecords) {
    if (isBlankRecord(record)) {
      problems.push({ severity: 'low', line: record.line, message: `line ${record.line}: empty line skipped` });
      continue;
    }
    result.items.push({ line: record.line, fields: mapRow(result.itemColumns, record, 'item', problems) });
  }
  return result;
}

export interface TwoSectionFile {
  orderColumns: string[];
  order: string[];
  itemColumns: string[];
  items: string[][];
}

/** Render a two-section file; the count line is the number of lines before it (one item → 4). */
export function renderTwoSection(file: TwoSectionFile, options: OutboundOptions = DEFAULT_OUTBOUND): Buffer {
  // A row that does not match its header would shift The Edge's reading of every later column.
  if (file.order.length !== file.orderColumns.length) {
    throw new RangeError(
      `order values have ${file.order.length} fields, the order header has ${file.orderColumns.length}`,
    );
  }
  for (const item of file.items) {
    if (item.length !== file.itemColumns.length) {
      throw new RangeError(`an item has ${item.length} fields, the item header has ${file.itemColumns.length}`);
    }
  }
  const rows = [file.orderColumns, file.order, file.itemColumns, ...file.items];
  const text = rows.map((row) => renderLine(row, options)).join('') + String(rows.length) + options.lineEnding;
  return encodeText(text, options.encoding);
}

/** ◇ SPEC §4.3–§4.5: the order section of every outbound order file. */
export const OUTBOUND_ORDER_COLUMNS = ['order_number', 'supplier_ref'];

/** A line of an outbound order file: every item row starts with line_ref, part_number, quantity. */
export interface OutboundLine {
  lineRef: string;
  partNumber: string;
  quantity: number;
}

export interface OutboundOrderFile<Line extends OutboundLine> {
  orderNumber: string;
  /** jl-edge's own reference for the order (`JLE-` + its id). */
  supplierRef: string;
  lines: Line[];
}

/**
 * An outbound order file (acknowledgement, tracking, cancellation): the order section, then one item row a
 * line, `itemColumns` naming its line_ref, part_number and quantity and then the fields `after(line)` gives.
 */
export function renderOutboundOrderFile<Line extends OutboundLine>(
  file: OutboundOrderFile<Line>,
  itemColumns: string[],
  after: (line: Line) => string[],
  options: OutboundOptions,
): Buffer {
  return renderTwoSection(
    {
      orderColumns: OUTBOUND_ORDER_COLUMNS,
      order: [file.orderNumber, file.supplierRef],
      itemColumns,
      items: file.lines.map((line) => [
        line.lineRef,
        line.partNumber,
        renderWholeNumber(line.quantity, 'quantity'),
        ...after(line),
      ]),
    },
    options,
  );
}
