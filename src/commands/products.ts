import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { stockToSend } from '../core/stock-rules.js';
import type { Product } from '../db/repo/products.js';

/** A product as printed and serialised. */
export interface ProductView {
  account: string;
  sku: string;
  channel_item_id: string | null;
  ean: string | null;
  title: string | null;
  /** null: the account's standard lead time applies. */
  lead_time_days: number | null;
  stock: number;
  /** The product's own stock rules; null takes the account's. */
  stock_buffer: number | null;
  stock_max: number | null;
  active: boolean;
  /** What the next inventory file sends for it (SPEC §2 stock rules), and how that follows from the stock. */
  stock_to_send: number;
  stock_rule: string;
  pushed_stock: number | null;
  pushed_lead_time_days: number | null;
  pushed_at: string | null;
  resend: boolean;
  created_at: string;
  updated_at: string;
}

export interface StockErrorSummary {
  part_number: string;
  message: string;
  received_at: string;
  file: string | null;
}

export interface ProductDetail extends ProductView {
  /** Stock errors The Edge reported for this product that nobody has cleared yet (SPEC §4.7). */
  stock_errors: StockErrorSummary[];
}

export interface ProductList {
  products: ProductView[];
  /** Products of the listed accounts, beyond the limit too. */
  total: number;
}

export function viewProduct(product: Product, account: Account): ProductView {
  const steps: string[] = [];
  const sent = stockToSend(product, account, steps);
  return {
    account: account.name,
    sku: product.sku,
    channel_item_id: product.channelItemId,
    ean: product.ean,
    title: product.title,
    lead_time_days: product.leadTimeDays,
    stock: product.stock,
    stock_buffer: product.stockBuffer,
    stock_max: product.stockMax,
    active: product.active,
    stock_to_send: sent,
    stock_rule: steps.length === 1 ? `${steps[0]}, no rule changes it` : steps.join(', '),
    pushed_stock: product.pushedStock,
    pushed_lead_time_days: product.pushedLeadTimeDays,
    pushed_at: product.pushedAt,
    resend: product.resend,
    created_at: product.createdAt,
    updated_at: product.updatedAt,
  };
}

/** `products list`: the products of `--account`, or of every account, in SKU order; `limit` 0 lists all. */
export async function listProducts(ctx: Context, limit: number): Promise<ProductList> {
  const accounts = ctx.options.account ? [await ctx.requireAccount(ctx.options.account)] : await ctx.listAccounts();
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const ids = accounts.map((a) => a.id);
  const products = await ctx.repo.products.list(ids, limit);
  return {
    products: products.map((p) => viewProduct(p, byId.get(p.accountId)!)),
    total: await ctx.repo.products.count(ids),
  };
}

/** `products show <sku>`: one product of one account, with its open stock errors. */
export async function showProduct(ctx: Context, sku: string): Promise<ProductDetail> {
  const account = await productAccount(ctx);
  const product = await ctx.repo.products.findBySku(account.id, sku);
  if (!product) throw new UsageError(`account "${account.name}" has no product with SKU ${JSON.stringify(sku)}`);
  const stockErrors = await ctx.repo.stock.openErrors({ accountId: account.id, productId: product.id });
  return {
    ...viewProduct(product, account),
    stock_errors: stockErrors.map((e) => ({
      part_number: e.partNumber,
      message: e.message,
      received_at: e.createdAt,
      file: e.fileName,
    })),
  };
}

/** Products belong to one account: `--account`, or the only one there is. */
async function productAccount(ctx: Context): Promise<Account> {
  if (ctx.options.account) return ctx.requireAccount(ctx.options.account);
  const accounts = await ctx.listAccounts();
  if (accounts.length === 1) return accounts[0]!;
  if (accounts.length === 0) throw new UsageError('no account: add one with `jl-edge accounts add`');
  throw new UsageError(`several accounts: choose one with --account (${accounts.map((a) => a.name).join(', ')})`);
}
