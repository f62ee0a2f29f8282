/**
 * SPEC §5.5: the dates John Lewis holds the seller to — an acknowledgement within the alert time, every
 * line dispatched by its due date, and recorded updates sent. Pure: dates in, verdicts out.
 */

/** A shipment, cancellation or refund recorded longer ago than this and still not sent needs a person. */
export const UNSENT_UPDATE_ALERT_MINUTES = 30;

/** Where a line's due date came from. */
export type DueDateSource = 'promised_date' | 'expected_delivery_date';

export interface DueDate {
  /** `yyyy-mm-dd`, a calendar date in Europe/London like every business date (SPEC §4.1). */
  date: string;
  source: DueDateSource;
}

/** How a line's due date stands against today. */
export type Due = 'late' | 'due_today' | 'later';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;

/**
 * The date a line must be dispatched by: its `promised_date`, else ◇ the order's `expected_delivery_date`
 * minus the lead time (the product's, else the account's) — the same lead time that takes an
 * acknowledged dispatch date to its delivery date. Both columns are read as the calendar date they
 * start with (`2026-03-04` or `2026-03-04T00:00:00`). Null when neither gives a date.
 */
export function dispatchDueDate(
  promisedDate: string | undefined,
  expectedDeliveryDate: string | undefined,
  leadTimeDays: number,
): DueDate | null {
  const promised = calendarDate(promisedDate);
  if (promised !== null) return { date: promised, source: 'promised_date' };
  const delivery = calendarDate(expectedDeliveryDate);
  if (delivery === null) return null;
  return { date: addDays(delivery, -leadTimeDays), source: 'expected_delivery_date' };
}

export function dueState(dueDate: string, today: string): Due {
  if (dueDate < today) return 'late';
  return dueDate === today ? 'due_today' : 'later';
}

/** Whole minutes from an ISO time to now. */
export function minutesSince(iso: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(iso)) / 60_000);
}

function calendarDate(text: string | undefined): string | null {
  const match = CALENDAR_DATE.exec(text?.trim() ?? '');
  if (!match) return null;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  // 2026-02-30 is no date.
  return date.getUTCDate() === Number(day) && date.getUTCMonth() === Number(month) - 1
    ? `${year}-${month}-${day}`
    : null;
}

function addDays(date: string, days: number): string {
  const moved = new Date(`${date}T00:00:00Z`);
  moved.setUTCDate(moved.getUTCDate() + days);
  return moved.toISOString().slice(0, 10);
}
