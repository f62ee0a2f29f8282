import { hostname } from 'node:os';
import { effectivePaths, withRoot, type Account } from './account.js';
import { ACCOUNT_DEFAULTS } from './account-settings.js';
import { databaseUrl, environmentAccount, loadEnvironment, type EnvironmentAccount } from './config.js';
import { UsageError } from './errors.js';
import { clockFromEnv, isoNow, type Clock } from './time.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, redactedUrl } from '../db/connection.js';
import { Repository } from '../db/repository.js';
import type { Transport } from '../transport/transport.js';

export interface GlobalOptions {
  account?: string;
  db?: string;
  envFile?: string;
  dryRun: boolean;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** Whole-run deadline per account, in seconds (SPEC §6.5). */
  timeout: number;
  /** `--concurrency`; when absent, JL_EDGE_CONCURRENCY or the default (see Context.concurrency). */
  concurrency?: number;
}

export interface Context {
  repo: Repository;
  clock: Clock;
  logger: Logger;
  options: GlobalOptions;
  env: NodeJS.ProcessEnv;
  host: string;
  /** How many accounts of a sync step run at once (SPEC §5.2). */
  concurrency: number;
  /** A lock whose heartbeat is older than this is taken over (SPEC §6.4). */
  lockStaleMs: number;
  /** The database as given (`--db` / JL_EDGE_DB), its password masked: for messages. */
  database: string;
  /** Migrations this process applied when it opened the database (empty when it was up to date). */
  migrationsApplied: string[];
  /** The accounts a sync step runs for: `--account`, else every enabled account. */
  selectAccounts(): Promise<Account[]>;
  /** Every account, enabled or not, as the commands see it (the JL_EDGE_* account with the environment's values). */
  listAccounts(): Promise<Account[]>;
  /** The named account (enabled or not), or a UsageError naming the known ones. */
  requireAccount(name: string): Promise<Account>;
  openTransport(account: Account, deadline?: number): Promise<Transport>;
  close(): Promise<void>;
}

/**
 * `migrate: false` opens the database as it is (`db status`): no migration, and no environment
 * account written into a schema that may not exist yet.
 */
export async function createContext(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<Context> {
  loadEnvironment(options.envFile, env);
  const clock = clockFromEnv(env);
  const concurrency = options.concurrency ?? positiveWholeNumber(env, 'JL_EDGE_CONCURRENCY') ?? DEFAULT_CONCURRENCY;
  const lockStaleMs = (positiveWholeNumber(env, 'JL_EDGE_LOCK_STALE_SECONDS') ?? DEFAULT_LOCK_STALE_MS / 1000) * 1000;
  const url = databaseUrl(options.db, env);
  const { knex, dialect, applied } = await openDatabase(url, { migrate, concurrency });
  const repo = new Repository(knex, dialect);
  let fromEnv: EnvironmentAccount | null;
  try {
    fromEnv = environmentAccount(env);
    if (fromEnv && migrate && !options.dryRun) await storeEnvironmentAccount(repo, fromEnv, isoNow(clock));
  } catch (err) {
    await repo.close();
    throw err;
  }
  const accounts = new AccountSource(repo, fromEnv);

  const requireAccount = async (name: string): Promise<Account> => {
    const account = await accounts.find(name);
    if (account) return account;
    const known = (await accounts.list()).map((a) => a.name);
    throw new UsageError(
      `no account named "${name}"` +
        (known.length ? ` (known: ${known.join(', ')})` : ': add one with `jl-edge accounts add`'),
    );
  };

  return {
    repo,
    clock,
    logger: createLogger(options, process.stderr, clock),
    options,
    env,
    // Tests run two "hosts" on one machine; a lock names its holder's host (SPEC §6.4).
    host: env.JL_EDGE_HOSTNAME || hostname(),
    concurrency,
    lockStaleMs,
    database: redactedUrl(url),
    migrationsApplied: applied,
    requireAccount,
    async selectAccounts() {
      if (options.account) {
        const account = await requireAccount(options.account);
        if (!account.enabled)
          throw new UsageError(`account "${account.name}" is disabled (jl-edge accounts enable ${account.name})`);
        return [account];
      }
      const all = await accounts.list();
      const enabled = all.filter((a) => a.enabled);
      if (all.length > 0 && enabled.length === 0)
        throw new UsageError('every account is disabled (jl-edge accounts enable <name>)');
      if (enabled.length === 0) {
        throw new UsageError(
          'no enabled account: add one with `jl-edge accounts add`, or set JL_EDGE_SFTP_HOST (or JL_EDGE_LOCAL_ROOT) in .env',
        );
      }
      return enabled;
    },
    listAccounts: () => accounts.list(),
    async openTransport(account, deadline) {
      const { openTransport } = await import('../transport/open.js');
      return openTransport(account, { env, deadline });
    },
    close: () => repo.close(),
  };
}

/**
 * The same context narrowed to one account as the caller read it, for commands that run several steps per
 * account (`sync`): the steps share that reading, as the accounts of one step's run share theirs, instead of
 * reading the account again (three statements) for every step.
 */
export function forAccount(ctx: Context, account: Account): Context {
  return {
    ...ctx,
    options: { ...ctx.options, account: account.name },
    selectAccounts: () => Promise.resolve([account]),
  };
}

const DEFAULT_CONCURRENCY = 4;
/** A lock whose heartbeat is older than this belongs to a dead or hung run (JL_EDGE_LOCK_STALE_SECONDS overrides). */
const DEFAULT_LOCK_STALE_MS = 120_000;

/** A setting from the environment (read after .env is loaded); undefined when unset. */
function positiveWholeNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new UsageError(`${name}="${value}" is not a positive whole number`);
  return Number(value);
}

/**
 * The JL_EDGE_* account is stored so orders and products can refer to it. The environment wins for the
 * settings it owns: they are written when they differ from the stored ones (never under --dry-run); the
 * rest (enabled, carrier map, folders …) is the database's, so `accounts disable` and `accounts set`
 * of those stick. The write is one upsert: runs started together on a new database may all find no row.
 */
async function storeEnvironmentAccount(repo: Repository, fromEnv: EnvironmentAccount, now: string): Promise<void> {
  const existing = await repo.accounts.findByName(fromEnv.name);
  if (existing && !differs(existing, fromEnv.settings)) return;
  await repo.accounts.upsert(fromEnv.name, { ...ACCOUNT_DEFAULTS, ...fromEnv.settings }, fromEnv.settings, now);
}

function differs(account: Account, settings: EnvironmentAccount['settings']): boolean {
  // JSON: legacyAlgorithms is a list, compared by its items.
  return Object.entries(settings).some(
    ([key, value]) => JSON.stringify(account[key as keyof typeof settings]) !== JSON.stringify(value),
  );
}

/** The accounts as commands see them: stored ones, with the environment's values over the JL_EDGE_* one. */
class AccountSource {
  constructor(
    private readonly repo: Repository,
    private readonly fromEnv: EnvironmentAccount | null,
  ) {}

  async find(name: string): Promise<Account | null> {
    const stored = await this.repo.accounts.findByName(name);
    if (this.fromEnv?.name !== name) return stored;
    return this.withEnvironment(stored);
  }

  async list(): Promise<Account[]> {
    const stored = await this.repo.accounts.list();
    if (!this.fromEnv) return stored;
    const name = this.fromEnv.name;
    const mine = stored.find((account) => account.name === name) ?? null;
    const others = stored.filter((account) => account.name !== name);
    return [...others, this.withEnvironment(mine)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Under --dry-run nothing was stored: the account may not exist yet (id 0 matches no row), or hold older values. */
  private withEnvironment(stored: Account | null): Account {
    const { name, settings } = this.fromEnv!;
    const base: Account = stored ?? {
      id: 0,
      name,
      ...ACCOUNT_DEFAULTS,
      staleAfterMinutes: {},
      paths: effectivePaths(settings.root, {}),
      fromEnvironment: true,
    };
    return { ...withRoot(base, settings.root), ...settings, fromEnvironment: true };
  }
}
