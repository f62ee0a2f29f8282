import { distinctFolders, isPathLabel, PATH_LABELS, type Account, type PathLabel } from '../core/account.js';
import type { Context } from '../core/context.js';
import { ConnectionError, UsageError, errorMessage } from '../core/errors.js';
import { isStockShare } from '../core/stock-rules.js';
import { isoNow } from '../core/time.js';
import { SYNC_STEPS, isSyncStep, staleAfterMinutes, type SyncStep } from '../core/steps.js';
import type { AccountSettings } from '../db/repo/accounts.js';
import { fileNameToken } from '../formats/file-name-token.js';
import { joinRemote } from '../transport/transport.js';

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An account as printed and serialised: settings and paths, never a secret. */
export interface AccountView {
  name: string;
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
  auto_accept_cancellations: boolean;
  cancel_request_alert_minutes: number;
  stock_buffer: number;
  stock_share: number;
  /** null: no maximum. */
  stock_max: number | null;
  ack_alert_minutes: number;
  paths: Record<PathLabel, string>;
  /** Per sync step, the minutes without a completed run after which `status` calls it stale (null: never). */
  stale_after_minutes: Record<SyncStep, number | null>;
}

export function viewAccount(account: Account): AccountView {
  return {
    name: account.name,
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
    auto_accept_cancellations: account.autoAcceptCancellations,
    cancel_request_alert_minutes: account.cancelRequestAlertMinutes,
    stock_buffer: account.stockBuffer,
    stock_share: account.stockShare,
    stock_max: account.stockMax,
    ack_alert_minutes: account.ackAlertMinutes,
    paths: account.paths,
    stale_after_minutes: Object.fromEntries(
      SYNC_STEPS.map((step) => [step, staleAfterMinutes(account.staleAfterMinutes, step)]),
    ) as Record<SyncStep, number | null>,
  };
}

export function validateSettings(name: string, settings: Partial<AccountSettings>): void {
  if (settings.hostKey && !FINGERPRINT.test(settings.hostKey)) {
    throw new UsageError(`--host-key must be an OpenSSH SHA256 fingerprint like SHA256:${'A'.repeat(43)}`);
  }
  if (settings.passwordEnv && !ENV_NAME.test(settings.passwordEnv)) {
    throw new UsageError(
      '--password-env takes the NAME of an environment variable (the password itself is never stored)',
    );
  }
  if (settings.root !== undefined && settings.root !== '/live' && settings.root !== '/uat') {
    throw new UsageError(`--root must be /live or /uat, not ${settings.root}`);
  }
  if (settings.stockShare !== undefined && !isStockShare(settings.stockShare)) {
    throw new UsageError(`--stock-share is a percentage from 0 to 100, not ${settings.stockShare}`);
  }
  if (settings.transport === 'sftp' && (!settings.host || !settings.username)) {
    throw new UsageError(`account "${name}" needs --host and --username (or --local-root for a local folder)`);
  }
}

export async function addAccount(ctx: Context, name: string, settings: AccountSettings): Promise<AccountView> {
  if (!ACCOUNT_NAME.test(name))
    throw new UsageError(`account name "${name}" must be letters, digits, '.', '_' or '-' (at most 64)`);
  validateSettings(name, settings);
  if (await ctx.repo.accounts.findByName(name))
    throw new UsageError(`account "${name}" already exists (change it with jl-edge accounts set ${name} …)`);
  if (ctx.options.dryRun)
    return viewAccount({
      id: 0,
      name,
      ...settings,
      staleAfterMinutes: {},
      paths: emptyPaths(settings.root),
      fromEnvironment: false,
    });
  return viewAccount(await ctx.repo.accounts.insert(name, settings, isoNow(ctx.clock)));
}

function emptyPaths(root: string): Record<PathLabel, string> {
  return Object.fromEntries(PATH_LABELS.map((l) => [l, root])) as Record<PathLabel, string>;
}

export async function listAccounts(ctx: Context): Promise<AccountView[]> {
  return (await ctx.repo.accounts.list()).map(viewAccount);
}

export async function showAccount(ctx: Context, name: string): Promise<AccountView> {
  return viewAccount(await ctx.requireAccount(name));
}

export async function setAccount(ctx: Context, name: string, settings: Partial<AccountSettings>): Promise<AccountView> {
  const account = await ctx.requireAccount(name);
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const merged = { ...account, ...given };
  validateSettings(name, merged);
  if (!ctx.options.dryRun) await ctx.repo.accounts.update(name, settings, isoNow(ctx.clock));
  return viewAccount(ctx.options.dryRun ? merged : await ctx.requireAccount(name));
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
