/**
 * The inbound customer cancellation request (SPEC §4.8): `cancel-<token>.txt`, one request per file, in the
 * same two-section layout and with the same count line as an order file. ✔ documented for another retailer
 * on The Edge; the ◇ choices where that document is silent are all in this file.
 * `parseCancelRequest` never throws on bad input: it returns what it could read plus precise problems, and
 * any `high` problem means the request cannot be trusted as read (the file is rejected, raw copy kept).
 */
import { normaliseColumnName, parseTwoSection, setField, type FormatProblem } from './two-section.js';

/** ✔ SPEC §4.8: `cancel-<20-digit token>.txt` (the outbound acknowledgement is `cancel-<token>.ack`). */
export const CANCEL_REQUEST_FILE_PATTERN = /^cancel-\d{20}\.txt$/;

export function isCancelRequestFileName(name: string): boolean {
  return CANCEL_REQUEST_FILE_PATTERN.test(name);
}

/**
 * ◇ SPEC §4.8: the reason sent back in the cancellation acknowledgement when the request names none.
 * A request's own reason is read from a `reason` (or `cancel_reason`, `cancellation_reason`) column of the
 * line, else of the order section.
 */
export const CUSTOMER_REQUEST_REASON = 'Customer request';
const REASON_COLUMNS = ['reason', 'cancel_reason', 'cancellation_reason'];

export interface CancelRequestLine {
  /** 1-based line in the file where this item starts. */
  line: number;
  lineRef: string;
  /** Units the customer asks to cancel, at least 1. */
  quantity: number;
  /** The reason given on this line, else the order section's, else null. */
  reason: string | null;
  /** Every column of the line as written, by its name as written. */
  fields: Record<string, string>;
}

export interface ParsedCancelRequest {
  /** Trimmed `order_number`; null when absent or blank (a high problem says so). */
  orderNumber: string | null;
  /** Every order-section column as written. */
  order: Record<string, string>;
  /** Only the lines that are part of the request: ✔ a line whose quantity is empty is not. */
  lines: CancelRequestLine[];
  problems: FormatProblem[];
}

function column(row: Record<string, string>, names: readonly string[]): string | undefined {
  for (const [name, value] of Object.entries(row)) if (names.includes(normaliseColumnName(name))) return value;
  return undefined;
}

function hasColumn(columns: string[], name: string): boolean {
  return columns.some((column) => normaliseColumnName(column) === name);
}

function reasonOf(row: Record<string, string>): string | null {
  const text = column(row, REASON_COLUMNS)?.trim() ?? '';
  return text === '' ? null : text;
}

export function parseCancelRequest(data: Buffer, options: { encoding?: string } = {}): ParsedCancelRequest {
  const layout = parseTwoSection(data, options);
  const problems = [...layout.problems];
  if (layout.orderColumns.length > 0 && !hasColumn(layout.orderColumns, 'order_number'))
    problems.push({ severity: 'high', line: 1, message: 'line 1: the order header has no order_number column' });
  for (const required of ['line_ref', 'quantity']) {
    if (layout.itemColumns.length > 0 && !hasColumn(layout.itemColumns, required))
      problems.push({ severity: 'high', line: 3, message: `line 3: the item header has no ${required} column` });
  }

  let orderNumber: string | null = null;
  const rawOrderNumber = column(layout.order, ['order_number']);
  if (rawOrderNumber !== undefined) {
    orderNumber = rawOrderNumber.trim() === '' ? null : rawOrderNumber.trim();
    if (orderNumber === null) problems.push({ severity: 'high', line: 2, message: 'line 2: order_number is blank' });
  }
  const orderReason = reasonOf(layout.order);

  const lines: CancelRequestLine[] = [];
  const firstLineOfRef = new Map<string, number>();
  for (const item of layout.items) {
    const { line, fields } = item;
    const quantityText = column(fields, ['quantity'])?.trim() ?? '';
    if (quantityText === '') continue;
    const lineRef = column(fields, ['line_ref'])?.trim() ?? '';
    if (lineRef === '') {
      problems.push({ severity: 'high', line, message: `line ${line}: line_ref is blank` });
      continue;
    }
    const earlier = firstLineOfRef.get(lineRef);
    if (earlier !== undefined) {
      problems.push({
        severity: 'high',
        line,
        message: `line ${line}: line_ref ${JSON.stringify(lineRef)} is also requested on line ${earlier}`,
      });
      continue;
    }
    firstLineOfRef.set(lineRef, line);
    // ◇ Like order quantities, `2.00` reads as 2; 0 asks for nothing, so it is not part of the request either.
    if (!/^\d+(\.0+)?$/.test(quantityText)) {
      problems.push({
        severity: 'high',
        line,
        message: `line ${line}: quantity ${JSON.stringify(quantityText)} is not a whole number of units`,
      });
      continue;
    }
    const quantity = Number(quantityText);
    if (quantity === 0) continue;
    const kept: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) setField(kept, name, value);
    lines.push({ line, lineRef, quantity, reason: reasonOf(fields) ?? orderReason, fields: kept });
  }
  const highSoFar = problems.some((problem) => problem.severity === 'high');
  if (!highSoFar && lines.length === 0)
    problems.push({
      severity: 'high',
      line: null,
      message: 'the request names no units: every line has an empty quantity',
    });

  return { orderNumber, order: layout.order, lines, problems };
}
