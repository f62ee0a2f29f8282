import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { buildReport, reportWindow, type AccountRows, type ReportData } from '../report/figures.js';

/** A year and a day: every chart draws a bar a day. */
const MAX_DAYS = 366;

/**
 * SPEC §5.9: the figures John Lewis judges a seller on, over the last `days` London days, per account
 * (every account, disabled ones too: their history still counts) and over all of them.
 */
export async function report(ctx: Context, days: number): Promise<ReportData> {
  if (days > MAX_DAYS)
    throw new UsageError(`--days ${days} is more than a page can show: at most ${MAX_DAYS} (a bar a day)`);
  const accounts = ctx.options.account ? [await ctx.requireAccount(ctx.options.account)] : await ctx.listAccounts();
  if (accounts.length === 0)
    throw new UsageError('no accounts yet: add one with `jl-edge accounts add` (or run `npm run demo`)');
  const now = ctx.clock.now();
  const { readSince } = reportWindow(now, days);
  const rows: AccountRows[] = [];
  for (const account of accounts) {
    rows.push({
      account: account.name,
      leadTimeDays: account.leadTimeDays,
      orders: await ctx.repo.report.ordersReceivedSince(account.id, readSince),
      shipmentLines: await ctx.repo.report.shipmentLinesOfOrdersSince(account.id, readSince),
      stockErrorsPerHour: await ctx.repo.report.stockErrorsPerHourSince(account.id, readSince),
      failedUpdatesPerHour: await ctx.repo.report.failedUpdatesPerHourSince(account.id, readSince),
    });
  }
  return buildReport(now, days, rows);
}
