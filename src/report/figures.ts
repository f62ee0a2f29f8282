/**
 * SPEC §5.9: the figures of `jl-edge report`, computed from the repository's rows. Pure: rows and the
 * window in, one data object out — the JSON output is this object and the HTML page is drawn from it.
 */
import { dispatchDueDate } from '../core/date-watch.js';
import { addDays, londonDate } from '../formats/file-name-token.js';
import type { HourCount, ReportOrder, ReportShipmentLine } from '../db/repo/report.js';

/**
 * ◇ Percentiles are nearest-rank: the p-th percentile of n values is the ⌈p/100 · n⌉-th smallest, always
 * a time that really happened; the median is the 50th percentile (of 4 values, the 2nd smallest).
 */
export const PERCENTILE_METHOD = 'nearest-rank (the ⌈p/100 × n⌉-th smallest value; median = 50th percentile)';

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface DayCount {
  /** A London calendar date, `yyyy-mm-dd` (SPEC §4.1). */
  date: string;
  count: number;
}

export interface Durations {
  /** Orders the figure is taken over (acknowledged, or dispatched). */
  orders: number;
  median_minutes: number | null;
  p95_minutes: number | null;
}

export interface LateDispatch {
  account: string;
  order_number: string;
  dispatch_date: string;
  due_date: string;
}

export interface ReportFigures {
  /** The account's name; the overall figures say "all accounts". */
  account: string;
  orders_received: number;
  orders_per_day: DayCount[];
  /** From receiving the order to its acknowledgement. */
  time_to_acknowledge: Durations;
  /** From receiving the order to its first shipment being recorded. */
  time_to_dispatch: Durations;
  dispatches: {
    total: number;
    late: number;
    late_rate: number | null;
    /** The latest LATE_DISPATCHES_LISTED of them, by dispatch date. */
    late_dispatches: LateDispatch[];
  };
  cancellations: {
    /** Orders with a pre-shipment cancellation, and their share of the orders received. */
    before_dispatch: number;
    before_dispatch_rate: number | null;
    /** Orders with a post-dispatch cancellation (a refund, SPEC §3). */
    after_dispatch: number;
    after_dispatch_rate: number | null;
  };
  stock_errors_per_day: DayCount[];
  failed_updates_per_day: DayCount[];
}

export interface ReportData {
  command: 'report';
  generated_at: string;
  days: number;
  /** First and last London calendar day of the window (today included). */
  from: string;
  to: string;
  percentile_method: string;
  overall: ReportFigures;
  accounts: ReportFigures[];
}

/** What the repository gives for one account. */
export interface AccountRows {
  account: string;
  leadTimeDays: number;
  orders: ReportOrder[];
  shipmentLines: ReportShipmentLine[];
  stockErrorsPerHour: HourCount[];
  failedUpdatesPerHour: HourCount[];
}

export const OVERALL = 'all accounts';

/** Late dispatches listed by order: the most recent ones; a month of a large shop would not fit a page. */
export const LATE_DISPATCHES_LISTED = 20;

/** The window of `days` London days ending today, and the UTC instant to read rows from (a day early: hours are folded into London days afterwards). */
export function reportWindow(now: Date, days: number): { dates: string[]; readSince: string } {
  const to = londonDate(now);
  const dates = Array.from({ length: days }, (_, i) => addDays(to, i - days + 1));
  return { dates, readSince: `${addDays(dates[0]!, -1)}T00:00:00.000Z` };
}

export function buildReport(now: Date, days: number, rows: AccountRows[]): ReportData {
  const { dates } = reportWindow(now, days);
  const londonDay = londonDayOf();
  const facts = rows.map((account) => accountFacts(account, dates, londonDay));
  return {
    command: 'report',
    generated_at: now.toISOString(),
    days,
    from: dates[0]!,
    to: dates[dates.length - 1]!,
    percentile_method: PERCENTILE_METHOD,
    overall: figures(OVERALL, dates, londonDay, {
      orders: facts.flatMap((f) => f.orders),
      dispatches: facts.flatMap((f) => f.dispatches),
      stockErrors: facts.flatMap((f) => f.stockErrors),
      failedUpdates: facts.flatMap((f) => f.failedUpdates),
    }),
    accounts: facts.map((f) => figures(f.account, dates, londonDay, f)),
  };
}

interface Dispatch {
  account: string;
  orderNumber: string;
  dispatchDate: string;
  /** The earliest due date among the lines it carried; null when none has one. */
  dueDate: string | null;
}

interface Facts {
  orders: ReportOrder[];
  dispatches: Dispatch[];
  stockErrors: { date: string; count: number }[];
  failedUpdates: { date: string; count: number }[];
}

/**
 * The London date of an ISO time in UTC. London is a whole number of hours from UTC, so the date follows
 * from the hour: asked once per hour, not once per row (Intl formatting is slow next to a Map lookup).
 */
function londonDayOf(): (iso: string) => string {
  const byHour = new Map<string, string>();
  return (iso) => {
    const hour = iso.slice(0, 13);
    let date = byHour.get(hour);
    if (date === undefined) {
      date = londonDate(new Date(`${hour}:00:00.000Z`));
      byHour.set(hour, date);
    }
    return date;
  };
}

function accountFacts(
  rows: AccountRows,
  dates: string[],
  londonDay: (iso: string) => string,
): Facts & { account: string } {
  const inWindow = (date: string) => date >= dates[0]! && date <= dates[dates.length - 1]!;
  const orders = rows.orders.filter((order) => inWindow(londonDay(order.receivedAt)));
  const received = new Set(orders.map((order) => order.orderNumber));
  const dispatches = new Map<number, Dispatch>();
  for (const line of rows.shipmentLines) {
    if (!received.has(line.orderNumber)) continue;
    const due =
      dispatchDueDate(line.promisedDate, line.expectedDeliveryDate, line.productLeadTimeDays ?? rows.leadTimeDays)
        ?.date ?? null;
    const dispatch = dispatches.get(line.shipmentId) ?? {
      account: rows.account,
      orderNumber: line.orderNumber,
      dispatchDate: line.dispatchDate ?? londonDay(line.recordedAt),
      dueDate: null,
    };
    if (due !== null && (dispatch.dueDate === null || due < dispatch.dueDate)) dispatch.dueDate = due;
    dispatches.set(line.shipmentId, dispatch);
  }
  const byDay = (hours: HourCount[]) =>
    hours.map(({ hour, count }) => ({ date: londonDay(hour), count })).filter(({ date }) => inWindow(date));
  return {
    account: rows.account,
    orders,
    dispatches: [...dispatches.values()],
    stockErrors: byDay(rows.stockErrorsPerHour),
    failedUpdates: byDay(rows.failedUpdatesPerHour),
  };
}

function figures(account: string, dates: string[], londonDay: (iso: string) => string, facts: Facts): ReportFigures {
  const received = facts.orders.length;
  const minutesFromReceipt = (at: (order: ReportOrder) => string | null) =>
    facts.orders.flatMap((order) => {
      const end = at(order);
      return end === null ? [] : [roundTo((Date.parse(end) - Date.parse(order.receivedAt)) / 60_000, 1)];
    });
  const late = facts.dispatches
    .filter((d) => d.dueDate !== null && d.dispatchDate > d.dueDate)
    .map((d) => ({
      account: d.account,
      order_number: d.orderNumber,
      dispatch_date: d.dispatchDate,
      due_date: d.dueDate!,
    }))
    .sort((a, b) => (a.dispatch_date < b.dispatch_date ? -1 : a.dispatch_date > b.dispatch_date ? 1 : 0));
  const cancelledBefore = facts.orders.filter((order) => order.cancellations > 0).length;
  const cancelledAfter = facts.orders.filter((order) => order.refunds > 0).length;
  return {
    account,
    orders_received: received,
    orders_per_day: perDay(
      dates,
      facts.orders.map((order) => ({ date: londonDay(order.receivedAt), count: 1 })),
    ),
    time_to_acknowledge: durations(minutesFromReceipt((order) => order.acknowledgedAt)),
    time_to_dispatch: durations(minutesFromReceipt((order) => order.firstShipmentAt)),
    dispatches: {
      total: facts.dispatches.length,
      late: late.length,
      late_rate: rate(late.length, facts.dispatches.length),
      late_dispatches: late.slice(-LATE_DISPATCHES_LISTED),
    },
    cancellations: {
      before_dispatch: cancelledBefore,
      before_dispatch_rate: rate(cancelledBefore, received),
      after_dispatch: cancelledAfter,
      after_dispatch_rate: rate(cancelledAfter, received),
    },
    stock_errors_per_day: perDay(dates, facts.stockErrors),
    failed_updates_per_day: perDay(dates, facts.failedUpdates),
  };
}

function durations(minutes: number[]): Durations {
  return { orders: minutes.length, median_minutes: percentile(minutes, 50), p95_minutes: percentile(minutes, 95) };
}

/** Every day of the window, days without events included (a chart point each). */
function perDay(dates: string[], events: { date: string; count: number }[]): DayCount[] {
  const counts = new Map(dates.map((date) => [date, 0]));
  for (const { date, count } of events) counts.set(date, (counts.get(date) ?? 0) + count);
  return dates.map((date) => ({ date, count: counts.get(date)! }));
}

/** A share as a fraction to 4 decimals (0.0417 = 4.17 %); null when there is nothing to take it of. */
function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : roundTo(part / whole, 4);
}

function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
