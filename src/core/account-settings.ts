export type TradedCodeSource = 'none' | 'sku' | 'ean';

/** The settings `accounts add|set` (or the JL_EDGE_* variables) may write; everything else is derived. */
export interface AccountSettings {
  transport: 'sftp' | 'local';
  host: string | null;
  port: number;
  username: string | null;
  passwordEnv: string | null;
  privateKeyPath: string | null;
  hostKey: string | null;
  localRoot: string | null;
  root: string;
  leadTimeDays: number;
  handlingDays: number;
  tradedCodeSource: TradedCodeSource;
  encoding: string;
  stockUpload: 'direct' | 'rename';
  carrierMap: Record<string, string>;
  enabled: boolean;
}

/** Where and as whom to log in over SFTP: an account's, or a warehouse destination's. */
export type SftpEndpoint = Pick<
  AccountSettings,
  'host' | 'port' | 'username' | 'passwordEnv' | 'privateKeyPath' | 'hostKey'
>;

/** What an account gets for every setting it was not given (`accounts add` and the JL_EDGE_* account alike). */
export const ACCOUNT_DEFAULTS: AccountSettings = {
  transport: 'sftp',
  host: null,
  port: 22,
  username: null,
  passwordEnv: null,
  privateKeyPath: null,
  hostKey: null,
  localRoot: null,
  root: '/live',
  leadTimeDays: 3,
  handlingDays: 0,
  tradedCodeSource: 'none',
  encoding: 'utf-8',
  stockUpload: 'direct',
  carrierMap: {},
  enabled: true,
};

/**
 * The settings the environment owns for the JL_EDGE_* account, with the variable that sets each
 * (SPEC §5.1). The environment wins for these on every run; the others (traded code, encoding, stock
 * upload, carrier map, folders, enabled) belong to the database for every account.
 */
export const ENVIRONMENT_VARIABLE = {
  transport: 'JL_EDGE_SFTP_HOST (or JL_EDGE_LOCAL_ROOT)',
  host: 'JL_EDGE_SFTP_HOST',
  port: 'JL_EDGE_SFTP_PORT',
  username: 'JL_EDGE_SFTP_USERNAME',
  passwordEnv: 'JL_EDGE_SFTP_PASSWORD',
  privateKeyPath: 'JL_EDGE_SFTP_PRIVATE_KEY',
  hostKey: 'JL_EDGE_SFTP_HOST_KEY',
  localRoot: 'JL_EDGE_LOCAL_ROOT',
  root: 'JL_EDGE_ROOT',
  leadTimeDays: 'JL_EDGE_LEAD_TIME_DAYS',
  handlingDays: 'JL_EDGE_HANDLING_DAYS',
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
  hostKey: '--host-key',
  localRoot: '--local-root',
  root: '--root',
  leadTimeDays: '--lead-time',
  handlingDays: '--handling-days',
  tradedCodeSource: '--traded-code',
  encoding: '--encoding',
  stockUpload: '--stock-upload',
  carrierMap: '--carrier-map',
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
    return `set ${ENVIRONMENT_VARIABLE[setting]}=${setting === 'passwordEnv' ? '<the password>' : value} in .env`;
  return `jl-edge accounts set ${account.name} ${SETTING_OPTION[setting]} ${value}`;
}

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where settings came from, so a refusal names what the person typed: an option, or a .env variable. */
export type SettingsSource = 'options' | 'environment';

function nameOf(setting: EnvironmentSetting, source: SettingsSource): string {
  return source === 'environment' ? ENVIRONMENT_VARIABLE[setting] : SETTING_OPTION[setting];
}

/** The same rules for `accounts add|set` and the JL_EDGE_* account; null when the settings are fine. */
export function settingsProblem(
  name: string,
  settings: Partial<AccountSettings>,
  source: SettingsSource,
): string | null {
  if (!ACCOUNT_NAME.test(name)) {
    const what = source === 'environment' ? `JL_EDGE_ACCOUNT "${name}"` : `account name "${name}"`;
    return `${what} must be letters, digits, '.', '_' or '-' (at most 64)`;
  }
  if (settings.hostKey && !FINGERPRINT.test(settings.hostKey))
    return `${nameOf('hostKey', source)} must be an OpenSSH SHA256 fingerprint like SHA256:${'A'.repeat(43)}`;
  if (settings.passwordEnv && !ENV_NAME.test(settings.passwordEnv))
    return '--password-env takes the NAME of an environment variable (the password itself is never stored)';
  if (settings.root !== undefined && settings.root !== '/live' && settings.root !== '/uat')
    return `${nameOf('root', source)} must be /live or /uat, not ${settings.root}`;
  if (settings.transport === 'sftp' && (!settings.host || !settings.username)) {
    return source === 'environment'
      ? `account "${name}" needs ${ENVIRONMENT_VARIABLE.host} and ${ENVIRONMENT_VARIABLE.username} in .env (or ${ENVIRONMENT_VARIABLE.localRoot} for a local folder)`
      : `account "${name}" needs --host and --username (or --local-root for a local folder)`;
  }
  return null;
}
