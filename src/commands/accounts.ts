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
  normaliseSettings,
  type AccountSettings,
} from '../core/account-settings.js';
import type { Context } from '../core/context.js';
import { ConnectionError, UsageError, errorMessage } from '../core/errors.js';
import { isoNow } from '../core/time.js';
import { SYNC_STEPS, isSyncStep, staleAfterMinutes, type SyncStep } from '../core/steps.js';
import { fileNameToken } from '../formats/file-name-token.js';
import { matchesPin, parseHostKeyPins } from '../transport/host-keys.js';
import { joinRemote, type Transport } from '../transport/transport.js';

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
  passphrase_env: string | null;
  host_key: string | null;
  legacy_algorithms: string[];
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
  /** null: JL_EDGE_PING_URL, if set. */
  ping_url: string | null;
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
    passphrase_env: account.passphraseEnv,
    host_key: account.hostKey,
    legacy_algorithms: account.legacyAlgorithms,
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
    ping_url: account.pingUrl,
    paths: account.paths,
    stale_after_minutes: Object.fromEntries(
      SYNC_STEPS.map((step) => [step, staleAfterMinutes(account.staleAfterMinutes, step)]),
    ) as Record<SyncStep, number | null>,
  };
}

export async function addAccount(ctx: Context, name: string, settings: AccountSettings): Promise<AccountView> {
  const stored = normaliseSettings(name, settings, 'options');
  if (await ctx.repo.accounts.findByName(name))
    throw new UsageError(`account "${name}" already exists (change it with jl-edge accounts set ${name} …)`);
  if (ctx.options.dryRun)
    return viewAccount({
      id: 0,
      name,
      ...stored,
      staleAfterMinutes: {},
      paths: effectivePaths(stored.root, {}),
      fromEnvironment: false,
    });
  return viewAccount(await ctx.repo.accounts.insert(name, stored, isoNow(ctx.clock)));
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
  const merged = normaliseSettings(name, { ...withRoot(account, settings.root ?? account.root), ...given }, 'options');
  const changed = Object.fromEntries(Object.keys(given).map((k) => [k, merged[k as keyof typeof merged]]));
  if (!ctx.options.dryRun) await ctx.repo.accounts.update(name, changed, isoNow(ctx.clock));
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

/**
 * What `accounts test` did about writing in a folder: `ok` a probe was written and removed; `not needed`
 * jl-edge only reads there; `not checked` a probe could have been left where The Edge reads (see `note`).
 */
export type WriteCheck = 'ok' | 'failed' | 'not checked' | 'not needed';

export interface FolderCheck {
  path: string;
  labels: PathLabel[];
  exists: boolean;
  listable: boolean;
  write: WriteCheck;
  note: string | null;
  error: string | null;
}

export interface OfferedKeyView {
  type: string;
  fingerprint: string;
  pinned: boolean;
}

export interface AccountTestResult {
  account: string;
  from_environment: boolean;
  ok: boolean;
  connected: boolean;
  host_key: string | null;
  offered_host_key: string | null;
  /** Every host key the server holds, one per key type (SFTP accounts). */
  server_host_keys: OfferedKeyView[];
  root: { path: string; exists: boolean } | null;
  error: string | null;
  folders: FolderCheck[];
}

/** Folders jl-edge only reads: nothing is written there, so no write check is needed. */
const READ_ONLY_LABELS: readonly PathLabel[] = ['OrderDownload', 'CancellationRequest', 'StockUpdateError'];
/** The Edge reads every file that appears here (no .DONE marker), so even a probe could be read. */
const READ_ON_ARRIVAL_LABELS: readonly PathLabel[] = ['StockUpdate'];
const PROBE_PREFIX = '.jl-edge-write-test-';

/**
 * Connects, verifies the host key, lists every key the server holds, and checks that every labelled
 * folder exists, can be listed and — where jl-edge writes — can be written. A probe never stays where
 * The Edge reads: it is a dot-named file without a .DONE marker (The Edge reads only marked files in
 * those folders), written only once the server has shown, in a folder The Edge does not read, that it
 * lets the probe be removed.
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
    server_host_keys: [],
    root: null,
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
    if (err.offeredFingerprint) result.server_host_keys = await serverHostKeys(ctx, account);
    return result;
  }
  result.connected = true;
  try {
    result.server_host_keys = await serverHostKeys(ctx, account);
    result.root = { path: account.root, exists: await transport.isDir(account.root) };
    const probeName = `${PROBE_PREFIX}${fileNameToken(ctx.clock.now())}`;
    const deletes = ctx.options.dryRun ? 'unknown' : await probeDeletes(transport, account, probeName);
    for (const path of distinctFolders(account)) {
      const labels = PATH_LABELS.filter((l) => account.paths[l] === path);
      const check: FolderCheck = {
        path,
        labels,
        exists: false,
        listable: false,
        write: 'not checked',
        note: null,
        error: null,
      };
      result.folders.push(check);
      try {
        check.exists = await transport.isDir(path);
        if (!check.exists) {
          check.error = 'folder does not exist';
          continue;
        }
        await transport.list(path);
        check.listable = true;
        await checkWrite(transport, check, { dryRun: ctx.options.dryRun, deletes, probeName });
      } catch (err) {
        check.error = errorMessage(err);
      }
    }
  } finally {
    await transport.end();
  }
  result.ok = result.folders.every((f) => f.exists && f.listable && f.write !== 'failed');
  return result;
}

async function serverHostKeys(ctx: Context, account: Account): Promise<OfferedKeyView[]> {
  const { scanHostKeys } = await import('../transport/open.js');
  const pins = account.hostKey ? parseHostKeyPins(account.hostKey) : [];
  try {
    const keys = await scanHostKeys(account, ctx.env);
    return keys.map((k) => ({ type: k.keyType, fingerprint: k.fingerprint, pinned: matchesPin(k, pins) }));
  } catch {
    // The listing is a help for pinning; the connection's own outcome is what the test reports.
    return [];
  }
}

/**
 * Whether the server lets a written file be removed, tried in the OrderDownload folder: The Edge only
 * writes there, so a probe the server will not remove harms nothing.
 */
async function probeDeletes(
  transport: Transport,
  account: Account,
  probeName: string,
): Promise<'allowed' | 'refused' | 'unknown'> {
  const probe = joinRemote(account.paths.OrderDownload, probeName);
  try {
    await transport.write(probe, PROBE_CONTENT);
  } catch {
    return 'unknown';
  }
  try {
    await transport.delete(probe);
    return 'allowed';
  } catch {
    return 'refused';
  }
}

const PROBE_CONTENT = Buffer.from('jl-edge write test\n');

async function checkWrite(
  transport: Transport,
  check: FolderCheck,
  options: { dryRun: boolean; deletes: 'allowed' | 'refused' | 'unknown'; probeName: string },
): Promise<void> {
  if (check.labels.every((l) => READ_ONLY_LABELS.includes(l))) {
    check.write = 'not needed';
    return;
  }
  if (options.dryRun) {
    check.note = 'write not checked (--dry-run)';
    return;
  }
  if (check.labels.some((l) => READ_ON_ARRIVAL_LABELS.includes(l))) {
    check.note = 'write not checked: The Edge reads every file that appears in this folder';
    return;
  }
  if (options.deletes !== 'allowed') {
    check.note =
      options.deletes === 'refused'
        ? 'write not checked: the server refuses deletes, so a probe could not be removed'
        : 'write not checked: no probe could be written and removed where The Edge does not read';
    return;
  }
  const probe = joinRemote(check.path, options.probeName);
  try {
    await transport.write(probe, PROBE_CONTENT);
  } catch (err) {
    check.write = 'failed';
    check.error = `cannot write: ${errorMessage(err)}`;
    return;
  }
  await transport.delete(probe);
  check.write = 'ok';
}
