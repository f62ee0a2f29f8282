import type { SyncStep } from './steps.js';

/** An account as the sync steps see it (SPEC §1). Secrets are referenced, never held here. */
export interface Account {
  id: number;
  name: string;
  transport: 'sftp' | 'local';
  host: string | null;
  port: number;
  username: string | null;
  /** Name of the environment variable that holds the password. */
  passwordEnv: string | null;
  privateKeyPath: string | null;
  /** Name of the environment variable that holds the private key's passphrase. */
  passphraseEnv: string | null;
  /** Pins, comma-separated (transport/host-keys.ts). */
  hostKey: string | null;
  /** Weak SSH algorithms allowed for this server (transport/algorithms.ts). */
  legacyAlgorithms: string[];
  localRoot: string | null;
  /** `/live`, `/uat`, or any absolute folder holding the same subfolders (`/home/acme/live`). */
  root: string;
  leadTimeDays: number;
  handlingDays: number;
  tradedCodeSource: TradedCodeSource;
  encoding: string;
  stockUpload: 'direct' | 'rename';
  carrierMap: Record<string, string>;
  /** SPEC §4.8: accept every customer cancellation request for units not yet shipped while downloading. */
  autoAcceptCancellations: boolean;
  /** `status` needs a person once a cancellation request has been open this long. */
  cancelRequestAlertMinutes: number;
  /** SPEC §2 stock rules: what push-stock sends is derived from the stored stock with these. */
  stockBuffer: number;
  stockShare: number;
  stockMax: number | null;
  /** SPEC §5.5: an order awaiting acknowledgement longer than this needs a person. */
  ackAlertMinutes: number;
  enabled: boolean;
  /** Staleness thresholds set for this account, in minutes (0: never stale); other steps use the defaults. */
  staleAfterMinutes: Partial<Record<SyncStep, number>>;
  /** Effective remote folder per path label (overrides applied). */
  paths: Record<PathLabel, string>;
  /** True for the account defined by JL_EDGE_* variables rather than `accounts add`. */
  fromEnvironment: boolean;
}

/** How long a customer cancellation request may stay unanswered before `status` needs a person (SPEC §5.9). */
export const DEFAULT_CANCEL_REQUEST_ALERT_MINUTES = 60;

export type TradedCodeSource = 'none' | 'sku' | 'ean';

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

/**
 * A root is `/live`, `/uat` or any absolute folder holding the same subfolders (a server that is not
 * chrooted: `/home/acme/live`). Returns it without a trailing slash, or throws an Error saying why not.
 */
export function normaliseRoot(root: string): string {
  const trimmed = root.length > 1 ? root.replace(/\/+$/, '') : root;
  if (!trimmed.startsWith('/') || trimmed === '/' || trimmed.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`must be an absolute folder such as /live, /uat or /home/acme/live (no . or ..), not "${root}"`);
  }
  return trimmed;
}

export function effectivePaths(root: string, overrides: Partial<Record<PathLabel, string>>): Record<PathLabel, string> {
  const base = root.replace(/\/+$/, '');
  const paths = {} as Record<PathLabel, string>;
  for (const label of PATH_LABELS) paths[label] = overrides[label] ?? `${base}${DEFAULT_PATH_SUFFIX[label]}`;
  return paths;
}

export function isPathLabel(value: string): value is PathLabel {
  return (PATH_LABELS as readonly string[]).includes(value);
}

/** Every distinct folder an account uses, for `accounts test` and the sandbox tree. */
export function distinctFolders(account: Pick<Account, 'paths'>): string[] {
  return [...new Set(Object.values(account.paths))].sort();
}
