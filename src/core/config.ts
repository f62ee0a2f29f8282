import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { UsageError, errorMessage } from './errors.js';
import {
  ACCOUNT_DEFAULTS,
  NO_SFTP_LOGIN,
  ENVIRONMENT_VARIABLE,
  normaliseSettings,
  type AccountSettings,
  type EnvironmentSetting,
} from './account-settings.js';
import { parseLegacyAlgorithms } from '../transport/algorithms.js';

export const DEFAULT_DB_PATH = './data/jl-edge.sqlite';

/** Loads `.env` from the working directory, or the file given with `--env-file` (which must exist). */
export function loadEnvironment(envFile: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (envFile !== undefined) {
    if (!existsSync(envFile)) throw new UsageError(`--env-file ${envFile}: no such file`);
    dotenv.config({ path: envFile, quiet: true, processEnv: env as Record<string, string> });
    return;
  }
  // quiet: dotenv otherwise prints a line to stderr, and cron mails every printed line.
  dotenv.config({ quiet: true, processEnv: env as Record<string, string> });
}

export function databaseUrl(dbOption: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return dbOption ?? env.JL_EDGE_DB ?? DEFAULT_DB_PATH;
}

export interface EnvironmentAccount {
  name: string;
  settings: Pick<AccountSettings, EnvironmentSetting>;
}

/**
 * The single-account bootstrap (SPEC §5.1): an account described by JL_EDGE_* variables, so a
 * one-account install needs no `accounts add`. Null when neither JL_EDGE_SFTP_HOST nor
 * JL_EDGE_LOCAL_ROOT is set. Its values pass the same checks as `accounts add`, named by variable.
 */
export function environmentAccount(env: NodeJS.ProcessEnv = process.env): EnvironmentAccount | null {
  const host = env.JL_EDGE_SFTP_HOST;
  const localRoot = env.JL_EDGE_LOCAL_ROOT;
  if (!host && !localRoot) return null;
  const name = env.JL_EDGE_ACCOUNT || 'default';
  const common = {
    root: env.JL_EDGE_ROOT || ACCOUNT_DEFAULTS.root,
    leadTimeDays: parseWholeNumber('leadTimeDays', env),
    handlingDays: parseWholeNumber('handlingDays', env),
    stockBuffer: parseWholeNumber('stockBuffer', env),
    stockShare: parseWholeNumber('stockShare', env),
    stockMax: parseWholeNumber('stockMax', env),
    ackAlertMinutes: parseWholeNumber('ackAlertMinutes', env),
  };
  const settings: EnvironmentAccount['settings'] = host
    ? {
        ...common,
        transport: 'sftp',
        host,
        port: parseWholeNumber('port', env),
        username: env.JL_EDGE_SFTP_USERNAME || null,
        // The variable's name is stored, never its value.
        passwordEnv: env.JL_EDGE_SFTP_PASSWORD !== undefined ? ENVIRONMENT_VARIABLE.passwordEnv : null,
        privateKeyPath: env.JL_EDGE_SFTP_PRIVATE_KEY ? resolve(env.JL_EDGE_SFTP_PRIVATE_KEY) : null,
        passphraseEnv: env.JL_EDGE_SFTP_PASSPHRASE !== undefined ? ENVIRONMENT_VARIABLE.passphraseEnv : null,
        hostKey: env.JL_EDGE_SFTP_HOST_KEY || null,
        legacyAlgorithms: parseLegacy(env),
        localRoot: null,
      }
    : { ...common, ...NO_SFTP_LOGIN, transport: 'local', localRoot: resolve(localRoot!) };
  return { name, settings: normaliseSettings(name, settings, 'environment') };
}

function parseLegacy(env: NodeJS.ProcessEnv): string[] {
  const variable = ENVIRONMENT_VARIABLE.legacyAlgorithms;
  try {
    return parseLegacyAlgorithms(env[variable] ?? '');
  } catch (err) {
    throw new UsageError(`${variable}: ${errorMessage(err)}`);
  }
}

type WholeNumberSetting = {
  [S in EnvironmentSetting]: number extends AccountSettings[S] ? S : never;
}[EnvironmentSetting];

/** Empty or unset: the account default (for JL_EDGE_STOCK_MAX, no maximum). */
function parseWholeNumber<S extends WholeNumberSetting>(setting: S, env: NodeJS.ProcessEnv): AccountSettings[S] {
  const variable = ENVIRONMENT_VARIABLE[setting];
  const value = env[variable];
  if (value === undefined || value === '') return ACCOUNT_DEFAULTS[setting];
  if (!/^\d+$/.test(value)) throw new UsageError(`${variable} must be a whole number, not "${value}"`);
  return Number(value) as AccountSettings[S];
}
