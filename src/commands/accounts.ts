import {
  distinctFolders,
  effectivePaths,
  isPathLabel,
  PATH_LABELS,
  withRoot,
  type Account,
  type PathLabel,
} from '../core/account.js';
import {
  ENVIRONMENT_VARIABLE,
  isEnvironmentSetting,
  SETTING_OPTION,
  settingsProblem,
  type AccountSettings,
} from '../core/account-settings.js';
import type { Context } from '../core/context.js';
import { ConnectionError, UsageError, errorMessage } from '../core/errors.js';
import { isoNow } from '../core/time.js';
import { SYNC_STEPS, isSyncStep, staleAfterMinutes, type SyncStep } from '../core/steps.js';
import { fileNameToken } from '../formats/file-name-token.js';
import { joinRemote } from '../transport/transport.js';

/** An account as printed and serialised: settings and paths, never a secret. */
export interface AccountView {
  name: string;
  /** Defined by JL_EDGE_* variables: the environment's values win for the settings it has variables for. */
  from_environment: boolean;
  enabled: boolean;
  transport: Account['transport'];
  host: string | null;
  port: number;
  username: string | null;
  password_env: string | null;
  private_key: string | null;
  host_key: string | null;
  local_root: string | null;
  root: string;
  lead_time_days: number;
  handling_days: number;
  traded_code_source: Account['tradedCodeSource'];
  encoding: string;
  stock_upload: Account['stockUpload'];
  carrier_map: Record<string, string>;
  paths: Record<PathLabel, string>;
  /** Per sync step, the minutes without a completed run after which `status` calls it stale (null: never). */
  stale_after_minutes: Record<SyncStep, number | null>;
}

export function viewAccount(account: Account): AccountView {
  return {
    name: account.name,
    from_environment: account.fromEnvironment,
    enabled: account.enabled,
    transport: account.transport,
    host: account.host,
    port: account.port,
    username: account.username,
    password_env: account.passwordEnv,
    private_key: account.privateKeyPath,
    host_key: account.hostKey,
    local_root: account.localRoot,
    root: account.root,
    lead_time_days: account.leadTimeDays,
    handling_days: account.handlingDays,
    traded_code_source: account.tradedCodeSource,
    encoding: account.encoding,
    stock_upload: account.stockUpload,
    carrier_map: account.carrierMap,
    paths: account.paths,
    stale_after_minutes: Object.fromEntries(
      SYNC_STEPS.map((step) => [step, staleAfterMinutes(account.staleAfterMinutes, step)]),
    ) as Record<SyncStep, number | null>,
  };
}

function validateSettings(name: string, settings: Partial<AccountSettings>): void {
  const problem = settingsProblem(name, settings, 'options');
  if (problem) throw new UsageError(problem);
}

export async function addAccount(ctx: Context, name: string, settings: AccountSettings): Promise<AccountView> {
  validateSettings(name, settings);
  if (await ctx.repo.accounts.findByName(name))
    throw new UsageError(`account "${name}" already exists (change it with jl-edge accounts set ${name} …)`);
  if (ctx.options.dryRun)
    return viewAccount({
      id: 0,
      name,
      ...settings,
      staleAfterMinutes: {},
      paths: effectivePaths(settings.root, {}),
      fromEnvironment: false,
    });
  return viewAccount(await ctx.repo.accounts.insert(name, settings, isoNow(ctx.clock)));
}

export async function listAccounts(ctx: Context): Promise<AccountView[]> {
  return (await ctx.listAccounts()).map(viewAccount);
}

export async function showAccount(ctx: Context, name: string): Promise<AccountView> {
  return viewAccount(await ctx.requireAccount(name));
}

export async function setAccount(ctx: Context, name: string, settings: Partial<AccountSettings>): Promise<AccountView> {
  const account = await ctx.requireAccount(name);
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  if (account.fromEnvironment) refuseEnvironmentSettings(account.name, Object.keys(given));
  const merged = { ...withRoot(account, settings.root ?? account.root), ...given };
  validateSettings(name, merged);
  if (!ctx.options.dryRun) await ctx.repo.accounts.update(name, settings, isoNow(ctx.clock));
  return viewAccount(ctx.options.dryRun ? merged : await ctx.requireAccount(name));
}

/** The environment owns some settings of its account: changing them in the database would not last. */
function refuseEnvironmentSettings(name: string, given: string[]): void {
  const owned = given.filter(isEnvironmentSetting).filter((setting) => setting !== 'transport');
  if (owned.length === 0) return;
  throw new UsageError(
    `account "${name}" comes from the environment, which sets ${owned.map((s) => SETTING_OPTION[s]).join(', ')}: ` +
      `edit ${owned.map((s) => ENVIRONMENT_VARIABLE[s]).join(', ')} in .env instead`,
  );
}

/** `path` null (given as `default`) restores the label's default folder under the account root. */
export async function setAccountPath(
  ctx: Context,
  name: string,
  label: string,
  path: string | null,
): Promise<AccountView> {
  if (!isPathLabel(label)) throw new UsageError(`unknown path label "${label}" (one of: ${PATH_LABELS.join(', ')})`);
  if (path !== null && (!path.startsWith('/') || path.split('/').includes('..'))) {
    throw new UsageError(`a remote folder must be an absolute path without "..", not "${path}"`);
  }
  const account = await ctx.requireAccount(name);
  if (!ctx.options.dryRun) await ctx.repo.accounts.setPath(account.id, label, path);
  return viewAccount(await ctx.requireAccount(name));
}

/**
 * Sets how long one sync step of the account may go without completing before `status` calls it stale:
 * minutes, 0 for never, null for the default.
 */
export async function setAccountStaleAfter(
  ctx: Context,
  name: string,
  step: string,
  minutes: number | null,
): Promise<AccountView> {
  if (!isSyncStep(step)) throw new UsageError(`"${step}" is not a sync step (one of: ${SYNC_STEPS.join(', ')})`);
  const account = await ctx.requireAccount(name);
  if (!ctx.options.dryRun) await ctx.repo.accounts.setStaleAfter(account.id, step, minutes);
  return viewAccount(await ctx.requireAccount(name));
}

export interface FolderCheck {
  path: string;
  labels: PathLabel[];
  exists: boolean;
  listable: boolean;
  writable: boolean;
  error: string | null;
}

export interface AccountTestResult {
  account: string;
  from_environment: boolean;
  ok: boolean;
  connected: boolean;
  host_key: string | null;
  offered_host_key: string | null;
  error: string | null;
  folders: FolderCheck[];
}

/**
 * Connects, verifies the host key, and checks that every labelled folder exists, can be listed and can
 * be written. The write probe is a dot-named file that is deleted at once: The Edge reads neither
 * dot files nor files without a marker.
 */
export async function testAccount(ctx: Context, name: string): Promise<AccountTestResult> {
  const account = await ctx.requireAccount(name);
  const result: AccountTestResult = {
    account: account.name,
    from_environment: account.fromEnvironment,
    ok: false,
    connected: false,
    host_key: account.hostKey,
    offered_host_key: null,
    error: null,
    folders: [],
  };
  let transport;
  try {
    transport = await ctx.openTransport(account, Date.now() + ctx.options.timeout * 1000);
  } catch (err) {
    if (!(err instanceof ConnectionError)) throw err;
    result.error = err.message;
    result.offered_host_key = err.offeredFingerprint ?? null;
    return result;
  }
  result.connected = true;
  try {
    for (const path of distinctFolders(account)) {
      const labels = PATH_LABELS.filter((l) => account.paths[l] === path);
      const check: FolderCheck = { path, labels, exists: false, listable: false, writable: false, error: null };
      result.folders.push(check);
      try {
        check.exists = await transport.isDir(path);
        if (!check.exists) {
          check.error = 'folder does not exist';
          continue;
        }
        await transport.list(path);
        check.listable = true;
        if (ctx.options.dryRun) continue;
        const probe = joinRemote(path, `.jl-edge-write-test-${fileNameToken(ctx.clock.now())}`);
        await transport.write(probe, Buffer.from('jl-edge write test\n'));
        await transport.delete(probe);
        check.writable = true;
      } catch (err) {
        check.error = errorMessage(err);
      }
    }
  } finally {
    await transport.end();
  }
  result.ok = result.folders.every((f) => f.exists && f.listable && (f.writable || ctx.options.dryRun));
  return result;
}
