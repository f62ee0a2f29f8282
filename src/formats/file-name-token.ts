/**
 * File-name tokens and business dates (SPEC §4.1). Pure: the caller passes the clock's `now`.
 */

const TOKEN_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{6})$/;
const MICROSECONDS_PER_SECOND = 1_000_000;

export function isFileNameToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Check a token before it becomes part of a remote file name. */
export function assertFileNameToken(token: string): void {
  if (!isFileNameToken(token))
    throw new RangeError(`file-name token must be 20 digits (yyyymmddhhmmss + 6), got ${JSON.stringify(token)}`);
}

/** An outgoing file's name: `prefix` + the file-name token + `suffix` (SPEC §4.3–§4.6). */
export function tokenFileName(prefix: string, token: string, suffix: string): string {
  assertFileNameToken(token);
  return `${prefix}${token}${suffix}`;
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

function tokenOf(secondsEpochMs: number, microseconds: number): string {
  const date = new Date(secondsEpochMs);
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    pad(microseconds, 6)
  );
}

/** The token one microsecond after `token`, carrying into the seconds so it stays a valid timestamp. */
function nextToken(token: string): string {
  const [, year, month, day, hour, minute, second, micro] = (TOKEN_PATTERN.exec(token) ?? []).map(Number);
  const secondsEpochMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const microseconds = micro + 1;
  return microseconds < MICROSECONDS_PER_SECOND
    ? tokenOf(secondsEpochMs, microseconds)
    : tokenOf(secondsEpochMs + 1000, 0);
}

/**
 * ◇ SPEC §4.1: `yyyymmddhhmmss` in UTC followed by six microsecond digits (a Date has milliseconds, so the
 * last three are 000 unless bumped). When the result would not sort after `previous` (same millisecond, or
 * a clock that stepped back) it is `previous` + 1 µs instead, so names never collide and keep their order.
 */
export function fileNameToken(now: Date, previous?: string): string {
  if (previous !== undefined) assertFileNameToken(previous);
  const milliseconds = now.getUTCMilliseconds();
  const candidate = tokenOf(now.getTime() - milliseconds, milliseconds * 1000);
  if (previous === undefined || candidate > previous) return candidate;
  return nextToken(previous);
}

const londonCalendar = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** ◇ SPEC §4.1: business dates are calendar dates in Europe/London, `yyyy-mm-dd`. */
export function londonDate(now: Date): string {
  const parts = Object.fromEntries(londonCalendar.formatToParts(now).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The first instant of a London calendar date (`yyyy-mm-dd`): midnight GMT, or 23:00 UTC the day before in summer. */
export function londonDayStart(date: string): Date {
  // addDays refuses what is not a calendar date (2026-02-30 included).
  const midnightUtc = Date.parse(`${addDays(date, 0)}T00:00:00Z`);
  // London is UTC or one hour ahead of it: its day starts at midnight UTC or an hour before.
  const summerStart = midnightUtc - 3_600_000;
  return new Date(londonDate(new Date(summerStart)) === date ? summerStart : midnightUtc);
}

/** Calendar arithmetic on a `yyyy-mm-dd` date (no time zone involved). */
export function addDays(date: string, days: number): string {
  const [, year, month, day] = (DATE_PATTERN.exec(date) ?? []).map(Number);
  const start = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC silently rolls 2026-02-30 over to March; a date that does not survive the round trip is not a date.
  if (Number.isNaN(start.getTime()) || isoDate(start) !== date || !Number.isSafeInteger(days)) {
    throw new RangeError(`addDays needs a yyyy-mm-dd date and whole days, got ${JSON.stringify(date)} and ${days}`);
  }
  return isoDate(new Date(Date.UTC(year, month - 1, day + days)));
}

function isoDate(date: Date): string {
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}
