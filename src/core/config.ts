import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { normaliseRoot } from './account.js';
import { UsageError, errorMessage } from './errors.js';
import type { NewAccountSettings } from '../db/repo/accounts.js';
import { DEFAULT_ACK_ALERT_MINUTES } from './date-watch.js';
import { DEFAULT_STOCK_RULES, isStockShare } from './stock-rules.js';
import { parseLegacyAlgorithms } from '../transport/algorithms.js';
import { formatHostKeyPins, parseHostKeyPins } from '../transport/host-keys.js';

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
  settings: NewAccountSettings;
}

/**
 * The single-account bootstrap (SPEC §5.1): an account described by JL_EDGE_* variables, so a
 * one-account install needs no `accounts add`. Null when neither JL_EDGE_SFTP_HOST nor
 * JL_EDGE_LOCAL_ROOT is set.
 */
export function environmentAccount(env: NodeJS.ProcessEnv = process.env): EnvironmentAccount | null {
  const host = env.JL_EDGE_SFTP_HOST;
  const localRoot = env.JL_EDGE_LOCAL_ROOT;
  if (!host && !localRoot) return null;
  const name = env.JL_EDGE_ACCOUNT || 'default';
  const root = setting('JL_EDGE_ROOT', () => normaliseRoot(env.JL_EDGE_ROOT || '/live'));
  const leadTimeDays = parseWholeNumber('JL_EDGE_LEAD_TIME_DAYS', env.JL_EDGE_LEAD_TIME_DAYS, 3);
  const base = {
    root,
    leadTimeDays,
    handlingDays: parseWholeNumber('JL_EDGE_HANDLING_DAYS', env.JL_EDGE_HANDLING_DAYS, 0),
    tradedCodeSource: 'none' as const,
    encoding: 'utf-8',
    stockUpload: 'direct' as const,
    carrierMap: {},
    stockBuffer: parseWholeNumber('JL_EDGE_STOCK_BUFFER', env.JL_EDGE_STOCK_BUFFER, DEFAULT_STOCK_RULES.stockBuffer),
    stockShare: parseStockShare('JL_EDGE_STOCK_SHARE', env.JL_EDGE_STOCK_SHARE),
    // Empty or unset: no maximum.
    stockMax: env.JL_EDGE_STOCK_MAX ? parseWholeNumber('JL_EDGE_STOCK_MAX', env.JL_EDGE_STOCK_MAX, 0) : null,
    ackAlertMinutes: parseWholeNumber(
      'JL_EDGE_ACK_ALERT_MINUTES',
      env.JL_EDGE_ACK_ALERT_MINUTES,
      DEFAULT_ACK_ALERT_MINUTES,
    ),
    enabled: true,
  };
  if (host) {
    return {
      name,
      settings: {
        ...base,
        transport: 'sftp',
        host,
        port: parseWholeNumber('JL_EDGE_SFTP_PORT', env.JL_EDGE_SFTP_PORT, 22),
        username: env.JL_EDGE_SFTP_USERNAME ?? null,
        // The variable's name is stored, never its value.
        passwordEnv: env.JL_EDGE_SFTP_PASSWORD !== undefined ? 'JL_EDGE_SFTP_PASSWORD' : null,
        privateKeyPath: env.JL_EDGE_SFTP_PRIVATE_KEY ? resolve(env.JL_EDGE_SFTP_PRIVATE_KEY) : null,
        passphraseEnv: env.JL_EDGE_SFTP_PASSPHRASE !== undefined ? 'JL_EDGE_SFTP_PASSPHRASE' : null,
        hostKey: env.JL_EDGE_SFTP_HOST_KEY
          ? setting('JL_EDGE_SFTP_HOST_KEY', () => formatHostKeyPins(parseHostKeyPins(env.JL_EDGE_SFTP_HOST_KEY!)))
          : null,
        legacyAlgorithms: setting('JL_EDGE_SFTP_LEGACY_ALGORITHMS', () =>
          parseLegacyAlgorithms(env.JL_EDGE_SFTP_LEGACY_ALGORITHMS ?? ''),
        ),
        localRoot: null,
      },
    };
  }
  return {
    name,
    settings: {
      ...base,
      transport: 'local',
      host: null,
      port: 22,
      username: null,
      passwordEnv: null,
      privateKeyPath: null,
      passphraseEnv: null,
      hostKey: null,
      legacyAlgorithms: [],
      localRoot: resolve(localRoot!),
    },
  };
}

function parseStockShare(name: string, value: string | undefined): number {
  const share = parseWholeNumber(name, value, DEFAULT_STOCK_RULES.stockShare);
  if (!isStockShare(share)) throw new UsageError(`${name} is a percentage from 0 to 100, not ${share}`);
  return share;
}

/** A variable's value checked by `parse`; what is wrong with it becomes a usage error naming the variable. */
function setting<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`${name}: ${errorMessage(err)}`);
  }
}

function parseWholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, not "${value}"`);
  return Number(value);
}
