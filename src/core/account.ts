import type { AccountSettings } from './account-settings.js';
import type { SyncStep } from './steps.js';

/** An account as the sync steps see it (SPEC §1). Secrets are referenced, never held here. */
export interface Account extends AccountSettings {
  id: number;
  name: string;
  /** Staleness thresholds set for this account, in minutes (0: never stale); other steps use the defaults. */
  staleAfterMinutes: Partial<Record<SyncStep, number>>;
  /** Effective remote folder per path label (overrides applied). */
  paths: Record<PathLabel, string>;
  /** True for the account defined by JL_EDGE_* variables rather than `accounts add`. */
  fromEnvironment: boolean;
}

export const PATH_LABELS = [
  'OrderDownload',
  'OrderAcknowledge',
  'OrderShipment',
  'CancellationAcknowledgement',
  'OrderCancel',
  'OrderRefund',
  'StockUpdate',
  'StockUpdateError',
  'CancellationRequest',
] as const;
export type PathLabel = (typeof PATH_LABELS)[number];

/** Default folders under the account root (`/live`, `/uat` for John Lewis' test environment, or deeper). */
const DEFAULT_PATH_SUFFIX: Record<PathLabel, string> = {
  OrderDownload: '/incoming',
  OrderAcknowledge: '/outgoing',
  OrderShipment: '/outgoing',
  CancellationAcknowledgement: '/outgoing',
  OrderCancel: '/outgoing',
  OrderRefund: '/outgoing',
  StockUpdate: '/inventory',
  StockUpdateError: '/inventory/errors',
  // ◇ SPEC §1: as documented for another retailer on The Edge.
  CancellationRequest: '/incoming',
};

export function effectivePaths(root: string, overrides: Partial<Record<PathLabel, string>>): Record<PathLabel, string> {
  const base = root.replace(/\/+$/, '');
  const paths = {} as Record<PathLabel, string>;
  for (const label of PATH_LABELS) paths[label] = overrides[label] ?? `${base}${DEFAULT_PATH_SUFFIX[label]}`;
  return paths;
}

/** The account under another root: default folders move with it, folders set with `accounts set-path` stay. */
export function withRoot<T extends Pick<Account, 'root' | 'paths'>>(account: T, root: string): T {
  if (root === account.root) return account;
  const defaults = effectivePaths(account.root, {});
  const overrides = Object.fromEntries(
    PATH_LABELS.filter((l) => account.paths[l] !== defaults[l]).map((l) => [l, account.paths[l]]),
  );
  return { ...account, root, paths: effectivePaths(root, overrides) };
}

export function isPathLabel(value: string): value is PathLabel {
  return (PATH_LABELS as readonly string[]).includes(value);
}

/** Every distinct folder an account uses, for `accounts test` and the sandbox tree. */
export function distinctFolders(account: Pick<Account, 'paths'>): string[] {
  return [...new Set(Object.values(account.paths))].sort();
}
