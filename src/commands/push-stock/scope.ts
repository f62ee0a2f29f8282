import type { Account } from '../../core/account.js';
import type { Context } from '../../core/context.js';
import type { ItemError } from '../../core/step.js';
import type { Transport } from '../../transport/transport.js';

export const STEP = 'push-stock';

/** `delta`: the products whose line differs from what The Edge was last sent; `full`: every listed product. */
export type PushMode = 'delta' | 'full';

/** What every part of one account's push shares; each part adds its item errors to `errors`. */
export interface PushScope {
  ctx: Context;
  account: Account;
  transport: Transport;
  deadline: number;
  mode: PushMode;
  errors: ItemError[];
}
