/**
 * `destinations add|list|show|set|remove <name>` (SPEC §5.8): where acknowledged orders go, and where
 * files come back from. A local (or mounted) folder, or an SFTP folder with the same host-key pinning and
 * secrets-by-reference as an account: the password's variable NAME is stored, never the password.
 */
import { isAbsolute } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isoNow } from '../core/time.js';
import type { Destination, DestinationSettings } from '../db/repo/destinations.js';
import { normaliseSettings } from './accounts.js';

const DESTINATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What `add` and `set` may be given; undefined leaves a setting as it is. */
export interface DestinationFlags {
  account?: string;
  dir?: string;
  host?: string;
  port?: number;
  username?: string;
  passwordEnv?: string;
  privateKey?: string;
  hostKey?: string;
  path?: string;
  inbox?: string;
}

/** A destination as printed and serialised: never a secret. */
export interface DestinationView {
  name: string;
  account: string | null;
  transport: Destination['transport'];
  dir: string | null;
  host: string | null;
  port: number;
  username: string | null;
  password_env: string | null;
  private_key: string | null;
  host_key: string | null;
  path: string | null;
  inbox: string | null;
}

export function viewDestination(destination: Destination): DestinationView {
  return {
    name: destination.name,
    account: destination.accountName,
    transport: destination.transport,
    dir: destination.dir,
    host: destination.host,
    port: destination.port,
    username: destination.username,
    password_env: destination.passwordEnv,
    private_key: destination.privateKeyPath,
    host_key: destination.hostKey,
    path: destination.path,
    inbox: destination.inbox,
  };
}

export async function addDestination(ctx: Context, name: string, flags: DestinationFlags): Promise<DestinationView> {
  if (!DESTINATION_NAME.test(name)) {
    throw new UsageError(`destination name "${name}": letters, digits, dot, dash and underscore, at most 64`);
  }
  if (await ctx.repo.destinations.findByName(name)) {
    throw new UsageError(`destination "${name}" exists: change it with \`jl-edge destinations set ${name}\``);
  }
  if ((flags.dir === undefined) === (flags.host === undefined)) {
    throw new UsageError('give either --dir <folder> (local or mounted) or --host … for an SFTP folder');
  }
  const settings: DestinationSettings = {
    accountId: null,
    transport: flags.dir !== undefined ? 'local' : 'sftp',
    dir: null,
    host: null,
    port: 22,
    username: null,
    passwordEnv: null,
    privateKeyPath: null,
    hostKey: null,
    path: null,
    inbox: null,
    ...(await settingsFrom(ctx, flags)),
  };
  checkComplete(name, settings);
  if (!ctx.options.dryRun) await ctx.repo.destinations.insert(name, settings, isoNow(ctx.clock));
  return viewDestination({
    ...settings,
    id: 0,
    name,
    accountName: flags.account ?? null,
    createdAt: isoNow(ctx.clock),
    updatedAt: isoNow(ctx.clock),
  });
}

export async function setDestination(ctx: Context, name: string, flags: DestinationFlags): Promise<DestinationView> {
  const existing = await requireDestination(ctx, name);
  const changes = await settingsFrom(ctx, flags);
  if (flags.dir !== undefined) Object.assign(changes, { transport: 'local', host: null, path: null });
  if (flags.host !== undefined) Object.assign(changes, { transport: 'sftp', dir: null });
  const merged: Destination = { ...existing, ...changes };
  checkComplete(name, merged);
  if (!ctx.options.dryRun) await ctx.repo.destinations.update(name, changes, isoNow(ctx.clock));
  return viewDestination({ ...merged, accountName: flags.account ?? existing.accountName });
}

export async function listDestinations(ctx: Context): Promise<DestinationView[]> {
  return (await ctx.repo.destinations.list()).map(viewDestination);
}

export async function showDestination(ctx: Context, name: string): Promise<DestinationView> {
  return viewDestination(await requireDestination(ctx, name));
}

export async function removeDestination(ctx: Context, name: string): Promise<{ name: string; removed: boolean }> {
  await requireDestination(ctx, name);
  const removed = ctx.options.dryRun ? false : await ctx.repo.destinations.remove(name);
  return { name, removed };
}

export async function requireDestination(ctx: Context, name: string): Promise<Destination> {
  const destination = await ctx.repo.destinations.findByName(name);
  if (destination) return destination;
  const known = (await ctx.repo.destinations.list()).map((d) => d.name);
  throw new UsageError(
    `no destination named "${name}"` +
      (known.length ? ` (known: ${known.join(', ')})` : ': add one with `jl-edge destinations add`'),
  );
}

async function settingsFrom(ctx: Context, flags: DestinationFlags): Promise<Partial<DestinationSettings>> {
  const checked = normaliseSettings('destination', { hostKey: flags.hostKey, passwordEnv: flags.passwordEnv });
  const settings: Partial<DestinationSettings> = {
    dir: flags.dir === undefined ? undefined : absoluteFolder('--dir', flags.dir),
    host: flags.host,
    port: flags.port,
    username: flags.username,
    passwordEnv: flags.passwordEnv,
    privateKeyPath: flags.privateKey === undefined ? undefined : absoluteFolder('--private-key', flags.privateKey),
    hostKey: checked.hostKey,
    path: flags.path,
    inbox: flags.inbox,
  };
  if (flags.account !== undefined) settings.accountId = (await ctx.requireAccount(flags.account)).id;
  // Only what was given: the rest keeps its default (add) or its stored value (set).
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** Stored absolute: cron runs from another working directory. */
function absoluteFolder(option: string, path: string): string {
  if (!isAbsolute(path)) throw new UsageError(`${option} must be an absolute path (cron runs from another folder)`);
  return path.replace(/(.)\/+$/, '$1');
}

function checkComplete(name: string, settings: DestinationSettings): void {
  if (settings.transport === 'local') {
    if (settings.inbox !== null) absoluteFolder('--inbox', settings.inbox);
    return;
  }
  const missing = [
    settings.host ? null : '--host',
    settings.username ? null : '--username',
    settings.path ? null : '--path',
    settings.passwordEnv || settings.privateKeyPath ? null : '--password-env or --private-key',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`SFTP destination "${name}" needs ${missing.join(', ')}`);
  for (const [option, path] of [
    ['--path', settings.path],
    ['--inbox', settings.inbox],
  ] as const) {
    if (path !== null && !path.startsWith('/')) throw new UsageError(`${option} must be an absolute remote folder`);
  }
}
