/**
 * `stock-errors list|clear` (SPEC §4.7): the lines The Edge rejected from inventory files stay visible
 * until a later error-free push of the product supersedes them, or a person clears them here.
 */
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isoNow } from '../core/time.js';
import type { StoredStockError } from '../db/repo/stock.js';

export interface StockErrorView {
  id: number;
  account: string;
  part_number: string;
  /** null when the part number matches none of the account's products. */
  sku: string | null;
  message: string;
  received_at: string;
  /** The error file that reported it. */
  file: string | null;
}

export interface ClearResult {
  /** What was asked: one part number, or every open error. */
  part_number: string | null;
  dry_run: boolean;
  accounts: { account: string; cleared: number }[];
  cleared: number;
}

/** `--account`, else every account (enabled or not: a disabled account's errors are still worth seeing). */
async function accountsInScope(ctx: Context): Promise<Account[]> {
  return ctx.options.account ? [await ctx.requireAccount(ctx.options.account)] : ctx.listAccounts();
}

export async function listStockErrors(ctx: Context): Promise<StockErrorView[]> {
  const views: StockErrorView[] = [];
  for (const account of await accountsInScope(ctx)) {
    for (const error of await ctx.repo.stock.openErrors({ accountId: account.id })) views.push(view(account, error));
  }
  return views;
}

export async function clearStockErrors(
  ctx: Context,
  target: { partNumber?: string; all: boolean },
): Promise<ClearResult> {
  if (target.all === (target.partNumber !== undefined)) {
    throw new UsageError('give either a part number or --all (e.g. jl-edge stock-errors clear 12345678)');
  }
  const result: ClearResult = {
    part_number: target.partNumber ?? null,
    dry_run: ctx.options.dryRun,
    accounts: [],
    cleared: 0,
  };
  for (const account of await accountsInScope(ctx)) {
    const filter = { accountId: account.id, partNumber: target.partNumber };
    const cleared = ctx.options.dryRun
      ? (await ctx.repo.stock.openErrors(filter)).length
      : await ctx.repo.stock.clearErrorsByHand(filter, isoNow(ctx.clock));
    result.accounts.push({ account: account.name, cleared });
    result.cleared += cleared;
  }
  return result;
}

function view(account: Account, error: StoredStockError): StockErrorView {
  return {
    id: error.id,
    account: account.name,
    part_number: error.partNumber,
    sku: error.sku,
    message: error.message,
    received_at: error.createdAt,
    file: error.fileName,
  };
}
