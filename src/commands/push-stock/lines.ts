/** Deciding the inventory lines of a push: which products, and what each is sent (SPEC §2, §4.6). */
import { stockToSend, type AccountStockRules } from '../../core/stock-rules.js';
import type { PushCandidate, PushRow } from '../../db/repo/stock.js';
import type { PushScope } from './scope.js';

/** An inventory line, and whether it changes the product's pushed record (only those are recorded). */
export interface InventoryLine {
  row: PushRow;
  changed: boolean;
}

/**
 * The inventory lines of this run, page by page: every listed product for a full push, for a delta
 * those whose line differs from what The Edge was last sent (or marked for re-send).
 */
export async function* pagesOfLines(scope: PushScope): AsyncGenerator<InventoryLine[]> {
  const selection = {
    accountId: scope.account.id,
    defaultLeadTimeDays: scope.account.leadTimeDays,
    tradedCodeSource: scope.account.tradedCodeSource,
  };
  for await (const page of scope.ctx.repo.stock.pagesToPush(selection)) {
    const lines: InventoryLine[] = [];
    for (const candidate of page) {
      const line = inventoryLine(candidate, scope.account);
      if (line.changed || scope.mode === 'full') lines.push(line);
    }
    if (lines.length > 0) yield lines;
  }
}

/**
 * A product's inventory line: its stock through the account's and its own stock rules, and whether the
 * line differs from the product's pushed record — the value sent is compared, not the stock, so a rule
 * change re-sends exactly the products whose sent value it changes.
 */
function inventoryLine(candidate: PushCandidate, rules: AccountStockRules): InventoryLine {
  const [
    productId,
    partNumber,
    tradedCode,
    leadTimeDays,
    stock,
    stockBuffer,
    stockMax,
    active,
    pushedStock,
    otherwise,
  ] = candidate;
  const sent = stockToSend({ stock, stockBuffer, stockMax, active: active === 1 }, rules);
  return {
    row: [productId, partNumber, tradedCode, leadTimeDays, sent],
    changed: otherwise === 1 || sent !== pushedStock,
  };
}
