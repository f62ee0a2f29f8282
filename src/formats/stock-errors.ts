/**
 * Stock error files (SPEC §4.7, inbound, StockUpdateError): The Edge's report of rejected inventory lines.
 * ◇ Read as delimited text with a header row; the part-number and message columns are found by name,
 * leniently, because the documents do not fix them. Never throws on bad input.
 */
import { decodeTextWithFallback, isBlankRecord, parseDelimitedText } from './delimited.js';

export interface StockError {
  /** 1-based line of the file where the row starts. */
  line: number;
  partNumber: string;
  message: string;
}

export interface StockErrorProblem {
  line: number | null;
  message: string;
}

export interface StockErrorParse {
  errors: StockError[];
  problems: StockErrorProblem[];
}

/**
 * ◇ SPEC §4.7: every `.csv` or `.txt` file in the error folder is an error file (so never a `.DONE` marker),
 * except dot-prefixed names (temporary names of a file still being written).
 */
export function isStockErrorFileName(name: string): boolean {
  return /\.(csv|txt)$/i.test(name) && !name.startsWith('.');
}

/** Letters and digits only, lower-cased: `Part Number`, `part_number` and `PartNumber` all become `partnumber`. */
const squash = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * ◇ SPEC §4.7: the part-number column is `part_number` (any spelling), else the first column whose name
 * contains "part", else `stock_number` (John Lewis' own name for the same 8-digit code).
 */
function findPartNumberColumn(columns: string[]): number {
  const squashed = columns.map(squash);
  const exact = squashed.indexOf('partnumber');
  if (exact >= 0) return exact;
  const containsPart = squashed.findIndex((name) => name.includes('part'));
  return containsPart >= 0 ? containsPart : squashed.indexOf('stocknumber');
}

/**
 * ◇ SPEC §4.7: message columns are those whose name contains "error", "message", "reason", "description"
 * or "detail"; a row's message is their non-empty values joined with "; ". With no such column, the
 * message is every other non-empty field as `name: value`.
 */
function isMessageColumn(name: string): boolean {
  return /error|message|reason|description|detail/.test(squash(name));
}

export function parseStockErrorFile(data: Buffer, options: { encoding?: string } = {}): StockErrorParse {
  const errors: StockError[] = [];
  const problems: StockErrorProblem[] = [];
  // The Edge's report must not be lost over one byte: text that is not valid in the account's encoding is
  // read as windows-1252 (as an order file is, SPEC §4.2); only bytes that are text in neither are refused.
  const decoded = decodeTextWithFallback(data, options.encoding);
  if (decoded.problem?.severity === 'high') {
    problems.push({ line: null, message: decoded.problem.message });
    return { errors, problems };
  }
  const parsed = parseDelimitedText(decoded.text);
  problems.push(...parsed.problems);
  // ◇ SPEC §4.7: an empty file or a header alone reports no errors; that is not a defect.
  const [header, ...rows] = parsed.records.filter((record) => !isBlankRecord(record));
  if (header === undefined) return { errors, problems };

  const columns = header.fields.map((field) => field.trim());
  const partColumn = findPartNumberColumn(columns);
  if (partColumn < 0) {
    problems.push({
      line: header.line,
      message: `line ${header.line}: no part number column in the header (looked for part_number or stock_number)`,
    });
    return { errors, problems };
  }
  const messageColumns = columns
    .map((_, position) => position)
    .filter((position) => position !== partColumn && isMessageColumn(columns[position]));

  const rowMessage = (fields: string[]): string => {
    if (messageColumns.length > 0) {
      return messageColumns
        .map((position) => (fields[position] ?? '').trim())
        .filter((text) => text !== '')
        .join('; ');
    }
    return fields
      .map((value, position) => ({ position, value: value.trim() }))
      .filter(({ position, value }) => position !== partColumn && value !== '')
      .map(({ position, value }) => `${columns[position] || `column ${position + 1}`}: ${value}`)
      .join('; ');
  };

  for (const row of rows) {
    const partNumber = (row.fields[partColumn] ?? '').trim();
    if (partNumber === '') {
      problems.push({ line: row.line, message: `line ${row.line}: no part number` });
      continue;
    }
    errors.push({ line: row.line, partNumber, message: rowMessage(row.fields) || '(no message given)' });
  }
  return { errors, problems };
}
