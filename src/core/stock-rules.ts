/**
 * SPEC §2 stock rules: what the inventory file sends for a product, never what is stored. The one place
 * they are applied: push-stock builds its file and its delta with `stockToSend`, and `products show`
 * prints the same call's steps.
 */

/** An account's rules (`accounts set --stock-buffer/--stock-share/--stock-max`, `JL_EDGE_STOCK_*`). */
export interface AccountStockRules {
  stockBuffer: number;
  /** Percent of what is left after the buffer, 0–100. */
  stockShare: number;
  /** null: no maximum. */
  stockMax: number | null;
}

/** A product's stock and its own rules (import-products columns); null takes the account's. */
export interface ProductStock {
  stock: number;
  stockBuffer: number | null;
  stockMax: number | null;
  active: boolean;
}

/** A share is a percentage of the stock: more than 100 would offer units the seller does not have. */
export function isStockShare(percent: number): boolean {
  return Number.isInteger(percent) && percent >= 0 && percent <= 100;
}

/**
 * Applies the rules in the order SPEC §2 gives: free stock − buffer, × share (rounded down), capped at
 * the maximum, never below 0; an inactive product is sent as 0. With `steps`, each rule that applied is
 * described there, in order, for `products show`; the inventory file passes none and pays nothing for it.
 */
export function stockToSend(product: ProductStock, account: AccountStockRules, steps?: string[]): number {
  steps?.push(`stock ${product.stock}`);
  if (!product.active) {
    steps?.push('inactive product: sent as 0');
    return 0;
  }
  let units = product.stock;
  const buffer = product.stockBuffer ?? account.stockBuffer;
  if (buffer !== 0) {
    units -= buffer;
    steps?.push(`− buffer ${buffer} (${product.stockBuffer === null ? 'account' : 'product'}) = ${units}`);
  }
  if (account.stockShare !== 100) {
    units = Math.floor((units * account.stockShare) / 100);
    steps?.push(`× share ${account.stockShare}% (account), rounded down = ${units}`);
  }
  const max = product.stockMax ?? account.stockMax;
  if (max !== null && units > max) {
    units = max;
    steps?.push(`capped at maximum ${max} (${product.stockMax === null ? 'account' : 'product'}) = ${units}`);
  }
  if (units < 0) {
    units = 0;
    steps?.push('never below 0 = 0');
  }
  return units;
}
