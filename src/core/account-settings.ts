import { UsageError, errorMessage } from './errors.js';
import { isStockShare } from './stock-rules.js';
import { formatHostKeyPins, parseHostKeyPins } from '../transport/host-keys.js';

export type TradedCodeSource = 'none' | 'sku' | 'ean';

/** The settings `accounts add|set` (or the JL_EDGE_* variables) may write; everything else is derived. */
export interface AccountSettings {
  transport: 'sftp' | 'local';
  host: string | null;
  port: number;
  username: string | null;
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
  /** `status` needs a person once a cancellation request has been open this long (SPEC §5.9). */
  cancelRequestAlertMinutes: number;
  /** SPEC §2 stock rules: what push-stock sends is derived from the stored stock with these. */
  stockBuffer: number;
  /** Percent of what is left after the buffer, 0–100. */
  stockShare: number;
  /** null: no maximum. */
  stockMax: number | null;
  /** SPEC §5.5: an order awaiting acknowledgement longer than this needs a person. */
  ackAlertMinutes: number;
  /** SPEC §5.9: where each step reports its start and end to a cron monitor; null: JL_EDGE_PING_URL, if set. */
  pingUrl: string | null;
  enabled: boolean;
}

/** Where and as whom to log in over SFTP: an account's, or a warehouse destination's. */
export type SftpEndpoint = Pick<
  AccountSettings,
  'host' | 'port' | 'username' | 'passwordEnv' | 'privateKeyPath' | 'hostKey'
>;

/** The SFTP settings of an account that names no server: what a local-folder account has. */
export const NO_SFTP_LOGIN = {
  host: null,
  port: 22,
  username: null,
  passwordEnv: null,
  privateKeyPath: null,
  passphraseEnv: null,
  hostKey: null,
  legacyAlgorithms: [],
} satisfies Partial<AccountSettings>;

/** What an account gets for every setting it was not given (`accounts add` and the JL_EDGE_* account alike). */
export const ACCOUNT_DEFAULTS: AccountSettings = {
  transport: 'sftp',
  ...NO_SFTP_LOGIN,
  localRoot: null,
  root: '/live',
  leadTimeDays: 3,
  handlingDays: 0,
  tradedCodeSource: 'none',
  encoding: 'utf-8',
  stockUpload: 'direct',
  carrierMap: {},
  autoAcceptCancellations: false,
  cancelRequestAlertMinutes: 60,
  stockBuffer: 0,
  stockShare: 100,
  stockMax: null,
  ackAlertMinutes: 60,
  pingUrl: null,
  enabled: true,
};

/**
 * The settings the environment owns for the JL_EDGE_* account, with the variable that sets each
 * (SPEC §5.1). The environment wins for these on every run; the others (traded code, encoding, stock
 * upload, carrier map, cancellation settings, folders, enabled) belong to the database for every account.
 */
export const ENVIRONMENT_VARIABLE = {
  transport: 'JL_EDGE_SFTP_HOST (or JL_EDGE_LOCAL_ROOT)',
  host: 'JL_EDGE_SFTP_HOST',
  port: 'JL_EDGE_SFTP_PORT',
  username: 'JL_EDGE_SFTP_USERNAME',
  passwordEnv: 'JL_EDGE_SFTP_PASSWORD',
  privateKeyPath: 'JL_EDGE_SFTP_PRIVATE_KEY',
  passphraseEnv: 'JL_EDGE_SFTP_PASSPHRASE',
  hostKey: 'JL_EDGE_SFTP_HOST_KEY',
  legacyAlgorithms: 'JL_EDGE_SFTP_LEGACY_ALGORITHMS',
  localRoot: 'JL_EDGE_LOCAL_ROOT',
  root: 'JL_EDGE_ROOT',
  leadTimeDays: 'JL_EDGE_LEAD_TIME_DAYS',
  handlingDays: 'JL_EDGE_HANDLING_DAYS',
  stockBuffer: 'JL_EDGE_STOCK_BUFFER',
  stockShare: 'JL_EDGE_STOCK_SHARE',
  stockMax: 'JL_EDGE_STOCK_MAX',
  ackAlertMinutes: 'JL_EDGE_ACK_ALERT_MINUTES',
} as const satisfies Partial<Record<keyof AccountSettings, string>>;
export type EnvironmentSetting = keyof typeof ENVIRONMENT_VARIABLE;

export function isEnvironmentSetting(setting: string): setting is EnvironmentSetting {
  return Object.hasOwn(ENVIRONMENT_VARIABLE, setting);
}

/** The `accounts add|set` option of each setting. */
export const SETTING_OPTION: Record<Exclude<keyof AccountSettings, 'enabled'>, string> = {
  transport: '--host (or --local-root)',
  host: '--host',
  port: '--port',
  username: '--username',
  passwordEnv: '--password-env',
  privateKeyPath: '--private-key',
  passphraseEnv: '--passphrase-env',
  hostKey: '--host-key',
  legacyAlgorithms: '--legacy-algorithms',
  localRoot: '--local-root',
  root: '--root',
  leadTimeDays: '--lead-time',
  handlingDays: '--handling-days',
  tradedCodeSource: '--traded-code',
  encoding: '--encoding',
  stockUpload: '--stock-upload',
  carrierMap: '--carrier-map',
  autoAcceptCancellations: '--auto-accept-cancellations',
  cancelRequestAlertMinutes: '--cancel-request-alert-minutes',
  stockBuffer: '--stock-buffer',
  stockShare: '--stock-share',
  stockMax: '--stock-max',
  ackAlertMinutes: '--ack-alert-minutes',
  pingUrl: '--ping-url',
};

/** For the settings that store a variable's name, what the .env variable holds instead. */
const SECRET_VALUE: Partial<Record<EnvironmentSetting, string>> = {
  passwordEnv: '<the password>',
  passphraseEnv: '<the passphrase>',
};

/**
 * Where a person changes a setting of this account, for hints: the .env variable for the environment's
 * account, else the `accounts set` command. `value` is shown as the value to give.
 */
export function howToSet(
  account: { name: string; fromEnvironment: boolean },
  setting: Exclude<keyof AccountSettings, 'enabled'>,
  value = '…',
): string {
  if (account.fromEnvironment && isEnvironmentSetting(setting))
    return `set ${ENVIRONMENT_VARIABLE[setting]}=${SECRET_VALUE[setting] ?? value} in .env`;
  return `jl-edge accounts set ${account.name} ${SETTING_OPTION[setting]} ${value}`;
}

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where settings came from, so a refusal names what the person typed: an option, or a .env variable. */
export type SettingsSource = 'options' | 'environment';

function nameOf(setting: EnvironmentSetting, source: SettingsSource): string {
  return source === 'environment' ? ENVIRONMENT_VARIABLE[setting] : SETTING_OPTION[setting];
}

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

function checked<T>(setting: EnvironmentSetting, source: SettingsSource, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`${nameOf(setting, source)}: ${errorMessage(err)}`);
  }
}

/**
 * The same rules for `accounts add|set`, warehouse destinations and the JL_EDGE_* account: returns the
 * settings in stored form (pins and root normalised), or throws a UsageError naming the option or variable.
 */
export function normaliseSettings<T extends Partial<AccountSettings>>(
  name: string,
  settings: T,
  source: SettingsSource,
): T {
  if (!ACCOUNT_NAME.test(name)) {
    const what = source === 'environment' ? `JL_EDGE_ACCOUNT "${name}"` : `account name "${name}"`;
    throw new UsageError(`${what} must be letters, digits, '.', '_' or '-' (at most 64)`);
  }
  const normalised = { ...settings };
  if (settings.hostKey)
    normalised.hostKey = checked('hostKey', source, () => formatHostKeyPins(parseHostKeyPins(settings.hostKey!)));
  for (const setting of ['passwordEnv', 'passphraseEnv'] as const) {
    const value = settings[setting];
    if (value && !ENV_NAME.test(value)) {
      throw new UsageError(
        `${SETTING_OPTION[setting]} takes the NAME of an environment variable (the secret itself is never stored)`,
      );
    }
  }
  if (settings.root !== undefined) normalised.root = checked('root', source, () => normaliseRoot(settings.root!));
  if (settings.stockShare !== undefined && !isStockShare(settings.stockShare)) {
    throw new UsageError(`${nameOf('stockShare', source)} is a percentage from 0 to 100, not ${settings.stockShare}`);
  }
  if (settings.transport === 'sftp' && (!settings.host || !settings.username)) {
    throw new UsageError(
      source === 'environment'
        ? `account "${name}" needs ${ENVIRONMENT_VARIABLE.host} and ${ENVIRONMENT_VARIABLE.username} in .env (or ${ENVIRONMENT_VARIABLE.localRoot} for a local folder)`
        : `account "${name}" needs --host and --username (or --local-root for a local folder)`,
    );
  }
  return normalised;
}
