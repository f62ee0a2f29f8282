/**
 * Delimited text as The Edge exchanges it (SPEC §4.1): decoding, RFC 4180 tokenising with line numbers,
 * and rendering. Pure functions: bytes or strings in, values out.
 */

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * WHATWG windows-1252 (which the labels `latin1` and `iso-8859-1` also select) for bytes 0x80–0x9F.
 * Node's TextDecoder since 20.18.3 decodes those bytes as ISO-8859-1 control characters instead
 * (nodejs/node#60888), which would turn `’` and `€` into invisible controls; `decodeWith` repairs that,
 * and stays correct on a Node that decodes them properly.
 */
const WINDOWS_1252_0X80_TO_0X9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const C1_CONTROL = /[\u0080-\u009f]/g;

function decodeWith(decoder: TextDecoder, bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  if (decoder.encoding !== 'windows-1252') return text;
  return text.replace(C1_CONTROL, (char) => WINDOWS_1252_0X80_TO_0X9F[char.charCodeAt(0) - 0x80]);
}

/**
 * Decode a file's bytes to text. `encoding` is any WHATWG label (`utf-8`, `latin1`, `windows-1252`,
 * `iso-8859-15` …; note that WHATWG maps `latin1` to windows-1252, a superset of ISO-8859-1).
 * Decoding is strict: bytes the encoding does not define give an error instead of U+FFFD, so a file
 * in an unexpected encoding is reported rather than stored with silently damaged text.
 */
export function decodeText(data: Buffer, encoding = 'utf-8'): { text: string } | { error: string } {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    return { error: `unknown text encoding ${JSON.stringify(encoding)}` };
  }
  let bytes: Uint8Array = data;
  let label = encoding;
  // ◇ SPEC §4.1: a UTF-8 byte-order mark is unambiguous, so it wins over the account's encoding
  // override: the file is decoded as UTF-8 (the override exists for files that carry no such mark).
  if (UTF8_BOM.every((byte, index) => data[index] === byte)) {
    bytes = data.subarray(UTF8_BOM.length);
    label = 'utf-8';
    decoder = new TextDecoder(label, { fatal: true });
  }
  try {
    return { text: decodeWith(decoder, bytes) };
  } catch {
    return { error: `file is not valid ${label} text` };
  }
}

/**
 * ◇ SPEC §4.2 (issue 9): when an inbound order-type file is not valid in the account's encoding, it is read
 * as windows-1252 — what a latin1 or Windows export of "Zoë" is — and the order says so in a low-severity
 * problem, so the order still flows instead of existing only as a rejected file.
 */
export const FALLBACK_ENCODING = 'windows-1252';

/**
 * Characters no text export writes: C0 controls other than tab and line breaks, DEL, and the five bytes
 * windows-1252 leaves undefined (WHATWG maps them to C1 controls). Their presence after the fallback means
 * the bytes are not text in either encoding.
 */
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u0081\u008d\u008f\u0090\u009d]/;

export interface DecodeProblem {
  /** low: read with the fallback encoding; high: not text in either, read as well as it goes. */
  severity: 'low' | 'high';
  message: string;
}

/**
 * `decodeText` for files that must yield their order whatever their bytes (SPEC §4.2): never fails. Text
 * the account's encoding cannot decode is read as FALLBACK_ENCODING with a low problem; when even that
 * gives no plausible text, the fallback's reading is returned with a high problem (the order is stored as
 * incomplete, its raw file kept).
 */
export function decodeTextWithFallback(
  data: Buffer,
  encoding = 'utf-8',
): { text: string; problem: DecodeProblem | null } {
  const decoded = decodeText(data, encoding);
  if ('text' in decoded) return { text: decoded.text, problem: null };
  const text = decodeWith(new TextDecoder(FALLBACK_ENCODING), data);
  if (NOT_TEXT.test(text)) {
    return {
      text,
      problem: {
        severity: 'high',
        message: `${decoded.error}, nor ${FALLBACK_ENCODING} text (it holds control bytes): stored as received, check the raw file`,
      },
    };
  }
  return {
    text,
    problem: {
      severity: 'low',
      message: `${decoded.error}: read as ${FALLBACK_ENCODING}; check accented names and addresses (the account's encoding may need changing)`,
    },
  };
}

const CANDIDATE_DELIMITERS = [',', '|', '\t', ';'] as const;

/**
 * ◇ SPEC §4.1: the delimiter is the candidate (comma, pipe, tab, semicolon) that occurs most often
 * outside quotes in the header line; ties go to the earlier candidate in that list, and a line with
 * none of them (a one-column header) is comma-delimited.
 */
export function detectDelimiter(firstLine: string): string {
  const counts = new Map<string, number>(CANDIDATE_DELIMITERS.map((candidate) => [candidate, 0]));
  let inQuotes = false;
  for (const char of firstLine) {
    // A doubled quote inside a quoted field toggles twice, so it leaves the state unchanged.
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best: string = CANDIDATE_DELIMITERS[0];
  for (const candidate of CANDIDATE_DELIMITERS) {
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  }
  return best;
}

export interface ParsedRecord {
  /** 1-based physical line where the record starts (a quoted field spanning lines counts from here). */
  line: number;
  fields: string[];
}

/** A tokenising defect. `message` already names the line (`line 7: …`). */
export interface RecordProblem {
  line: number;
  message: string;
}

export interface RecordParse {
  records: ParsedRecord[];
  problems: RecordProblem[];
}

function assertDelimiter(delimiter: string): void {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new RangeError(
      `unusable delimiter ${JSON.stringify(delimiter)}: it must be one character other than a quote or line break`,
    );
  }
}

/**
 * Split text into records, RFC 4180 style: a field that starts with `"` is quoted and may hold the
 * delimiter, doubled quotes (`""` → `"`) and line breaks (kept as written); records end at CRLF, LF or a
 * lone CR. Lenient where no data is at risk: a quote inside an unquoted field is an ordinary character
 * (`12" frame`), and spaces after a closing quote are ignored.
 *
 * - A final line break does not start another record.
 * - Every other empty line IS returned, as a record with `fields: ['']` (see `isBlankRecord`), so callers
 *   decide whether a blank line matters and can name its line.
 * - Problems (the records are still returned, with the text as read):
 *   a quoted field that is never closed (it swallows the rest of the file), and text after a closing quote
 *   (`"abc"def`, kept as `abcdef`).
 */
export function parseRecords(text: string, delimiter: string): RecordParse {
  assertDelimiter(delimiter);
  const records: ParsedRecord[] = [];
  const problems: RecordProblem[] = [];
  const length = text.length;
  let index = 0;
  let line = 1;

  /** Read up to (not including) the next delimiter or line break. */
  const readUnquoted = (): string => {
    const start = index;
    while (index < length) {
      const char = text[index];
      if (char === delimiter || char === '\n' || char === '\r') break;
      index++;
    }
    return text.slice(start, index);
  };

  /** Read a quoted field; `index` is on its opening quote. */
  const readQuoted = (): string => {
    const startLine = line;
    let value = '';
    let chunkStart = ++index;
    for (;;) {
      if (index >= length) {
        problems.push({
          line: startLine,
          message: `line ${startLine}: a quoted field is never closed (it runs to the end of the file)`,
        });
        return value + text.slice(chunkStart);
      }
      const char = text[index];
      if (char === '"') {
        value += text.slice(chunkStart, index);
        if (text[index + 1] === '"') {
          value += '"';
          index += 2;
          chunkStart = index;
          continue;
        }
        index++;
        break;
      }
      if (char === '\n' || (char === '\r' && text[index + 1] !== '\n')) line++;
      index++;
    }
    const trailing = readUnquoted();
    if (trailing.trim() !== '') {
      problems.push({
        line,
        message: `line ${line}: text ${JSON.stringify(trailing)} follows the closing quote of a field`,
      });
      value += trailing;
    }
    return value;
  };

  while (index < length) {
    const record: ParsedRecord = { line, fields: [] };
    for (;;) {
      record.fields.push(text[index] === '"' ? readQuoted() : readUnquoted());
      if (index < length && text[index] === delimiter) {
        index++;
        continue;
      }
      break;
    }
    records.push(record);
    if (text[index] === '\r') index++;
    if (text[index] === '\n') index++;
    line++;
  }
  return { records, problems };
}

/** Detect the delimiter from the first physical line (unless given), then tokenise. */
export function parseDelimitedText(text: string, delimiter?: string): RecordParse & { delimiter: string } {
  const firstLineEnd = text.search(/[\r\n]/);
  const chosen = delimiter ?? detectDelimiter(firstLineEnd < 0 ? text : text.slice(0, firstLineEnd));
  return { delimiter: chosen, ...parseRecords(text, chosen) };
}

/** An empty or whitespace-only line. */
export function isBlankRecord(record: ParsedRecord): boolean {
  return record.fields.length === 1 && record.fields[0].trim() === '';
}

/**
 * The warning for header columns an import maps to nothing: always shown, because a misnamed column
 * otherwise looks like a file that imported fine and changed nothing.
 */
export function ignoredColumnsWarning(file: string, ignored: string[], known: string): string {
  const names = ignored.map((name) => JSON.stringify(name)).join(', ');
  return `${file}: warning: ${ignored.length === 1 ? 'column' : 'columns'} ${names} ${ignored.length === 1 ? 'is' : 'are'} not read by jl-edge and ignored (known columns: ${known})`;
}

export interface OutboundOptions {
  delimiter: string;
  lineEnding: string;
  encoding: string;
}

/** ◇ SPEC §4.1: outbound files are comma-delimited UTF-8 without BOM, LF after every line (overridable per account). */
export const DEFAULT_OUTBOUND: OutboundOptions = { delimiter: ',', lineEnding: '\n', encoding: 'utf-8' };

/** ◇ SPEC §4.1: quote a field only when it holds the delimiter, a quote or a line break; double the quotes inside. */
export function renderField(value: string, delimiter: string): string {
  if (value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r')) {
    return `"${value.replaceAll('"', '""')}"`;
  }
  return value;
}

/** One line of output, ending with the line ending. */
export function renderLine(fields: string[], options: OutboundOptions): string {
  assertDelimiter(options.delimiter);
  return fields.map((field) => renderField(field, options.delimiter)).join(options.delimiter) + options.lineEnding;
}

/** A whole number for an outbound field; anything else is a programming error, never written to The Edge. */
export function renderWholeNumber(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of at least 0, got ${value}`);
  }
  return String(value);
}

/** Reverse tables (character → byte) of the single-byte encodings used so far, built on first use. */
const singleByteTables = new Map<string, Map<number, number>>();

function singleByteTable(encoding: string): Map<number, number> {
  let table = singleByteTables.get(encoding);
  if (table === undefined) {
    const everyByte = decodeWith(
      new TextDecoder(encoding),
      Uint8Array.from({ length: 256 }, (_, byte) => byte),
    );
    // A multi-byte encoding (shift_jis, utf-16 …) combines bytes, so it cannot decode 256 bytes to 256 characters.
    if (everyByte.length !== 256) {
      throw new RangeError(`cannot write ${encoding}: outbound files support utf-8 and single-byte encodings`);
    }
    table = new Map();
    for (let byte = 0; byte < 256; byte++) {
      const codePoint = everyByte.charCodeAt(byte);
      if (codePoint !== 0xfffd && !table.has(codePoint)) table.set(codePoint, byte);
    }
    singleByteTables.set(encoding, table);
  }
  return table;
}

const QUESTION_MARK = 0x3f;

/**
 * Encode outbound text: UTF-8 without BOM, or a single-byte encoding such as latin1 / windows-1252 using the
 * same WHATWG tables as `decodeText`, so an account's override reads and writes the same characters.
 * An unknown encoding label throws a RangeError (a configuration error).
 */
export function encodeText(text: string, encoding: string): Buffer {
  const canonical = new TextDecoder(encoding).encoding;
  if (canonical === 'utf-8') return Buffer.from(text, 'utf8');
  const table = singleByteTable(canonical);
  const bytes: number[] = [];
  for (const char of text) {
    // ◇ SPEC §4.1: a character the account's encoding cannot hold is written as "?" rather than failing the update.
    bytes.push(table.get(char.codePointAt(0) ?? QUESTION_MARK) ?? QUESTION_MARK);
  }
  return Buffer.from(bytes);
}
