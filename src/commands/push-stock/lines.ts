/** Deciding the inventory lines of a push: which products, and what each is sent (SPEC §2, §4.6). */
import { stockToSend, type AccountStockRules } from '../../core/stock-rules.js';
import type { PushCandidate } from '../../db/repo/stock.js';
import type { PushScope } from './scope.js';

/**
 * A page of inventory lines, column by column: line `i` is `candidates[i]` with the stock `sentStock[i]`,
 * and `changed[i]` when it changes the product's pushed record (only those are recorded). Columns rather
 * than an object per line: a first push of 200,000 products otherwise spends a good part of its time
 * collecting that garbage.
 */
export interface InventoryPage {
  candidates: PushCandidate[];
  sentStock: number[];
  changed: boolean[];
}

/**
 * The inventory lines of this run, page by page: every listed product for a full push, for a delta
 * those whose line differs from what The Edge was last sent (or marked for re-send). The stock sent goes
 * through the account's and the product's stock rules; a line differs when the value sent differs, not
 * the stock, so a rule change re-sends exactly the products whose sent value it changes.
 */
export async function* pagesOfLines(scope: PushScope): AsyncGenerator<InventoryPage> {
  const selection = {
    accountId: scope.account.id,
    defaultLeadTimeDays: scope.account.leadTimeDays,
    tradedCodeSource: scope.account.tradedCodeSource,
  };
  const full = scope.mode === 'full';
  for await (const page of scope.ctx.repo.stock.pagesToPush(selection)) {
    const lines: InventoryPage = { candidates: full ? page : [], sentStock: [], changed: [] };
    for (const candidate of page) {
      const sent = sentStock(candidate, scope.account);
      const pushedStock = candidate[8];
      const changed = pushedStock === null || sent !== pushedStock;
      if (full || changed) {
        if (!full) lines.candidates.push(candidate);
        lines.sentStock.push(sent);
        lines.changed.push(changed);
      }
    }
    if (lines.sentStock.length > 0) yield lines;
  }
}

function sentStock(candidate: PushCandidate, rules: AccountStockRules): number {
  const [, , , , stock, stockBuffer, stockMax, active] = candidate;
  return stockToSend({ stock, stockBuffer, stockMax, active: active === 1 }, rules);
}
