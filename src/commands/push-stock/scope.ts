import type { Account } from '../../core/account.js';
import type { Context } from '../../core/context.js';
import type { ItemError } from '../../core/step.js';
import type { PushMode } from '../../db/repo/stock.js';
import type { Transport } from '../../transport/transport.js';

export const STEP = 'push-stock';

/** What every part of one account's push shares; each part adds its item errors to `errors`. */
export interface PushScope {
  ctx: Context;
  account: Account;
  transport: Transport;
  deadline: number;
  mode: PushMode;
  errors: ItemError[];
}

/** The products a push selects, as the stock repository takes it. */
export function selection(scope: PushScope) {
  return {
    accountId: scope.account.id,
    defaultLeadTimeDays: scope.account.leadTimeDays,
    tradedCodeSource: scope.account.tradedCodeSource,
    mode: scope.mode,
  };
}
