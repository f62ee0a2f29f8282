import { UsageError } from '../core/errors.js';
import type { Account } from '../core/account.js';
import type { Destination } from '../db/repo/destinations.js';
import type { OfferedHostKey } from './host-keys.js';
import type { SftpOptions } from './sftp.js';
import type { Transport } from './transport.js';

/** Opens the account's transport. SFTP is loaded lazily so local and offline commands never pay for ssh2. */
export async function openTransport(
  account: Account,
  options: { env: NodeJS.ProcessEnv; deadline?: number },
): Promise<Transport> {
  if (account.transport === 'local') {
    if (!account.localRoot)
      throw new UsageError(`account "${account.name}" is a local folder account without a folder`);
    const { openLocalTransport } = await import('./local.js');
    return openLocalTransport(account.localRoot);
  }
  return openSftp(`account "${account.name}"`, `jl-edge accounts set ${account.name}`, account, options);
}

/**
 * Opens a warehouse destination (SPEC §5.8): a local folder is reached with its absolute paths as they
 * are; an SFTP folder goes through the same adapter, host-key pinning and secret rules as an account.
 */
export async function openDestinationTransport(
  destination: Destination,
  options: { env: NodeJS.ProcessEnv; deadline?: number },
): Promise<Transport> {
  if (destination.transport === 'local') {
    const { openLocalTransport } = await import('./local.js');
    return openLocalTransport('/');
  }
  return openSftp(
    `destination "${destination.name}"`,
    `jl-edge destinations set ${destination.name}`,
    destination,
    options,
  );
}

interface SftpEndpoint {
  host: string | null;
  port: number;
  username: string | null;
  passwordEnv: string | null;
  privateKeyPath: string | null;
  hostKey: string | null;
  /** Accounts only (destinations have neither). */
  passphraseEnv?: string | null;
  legacyAlgorithms?: string[];
}

async function openSftp(
  owner: string,
  setCommand: string,
  endpoint: SftpEndpoint,
  options: { env: NodeJS.ProcessEnv; deadline?: number },
): Promise<Transport> {
  if (!endpoint.host || !endpoint.username) {
    throw new UsageError(`${owner} needs an SFTP host and username (${setCommand} --host … --username …)`);
  }
  let password: string | undefined;
  if (endpoint.passwordEnv) {
    password = options.env[endpoint.passwordEnv];
    if (password === undefined) {
      throw new UsageError(`${owner}: the password variable ${endpoint.passwordEnv} is not set`);
    }
  }
  if (password === undefined && !endpoint.privateKeyPath) {
    throw new UsageError(`${owner} has no secret: give --password-env <VAR> or --private-key <file>`);
  }
  const { openSftpTransport } = await import('./sftp.js');
  return openSftpTransport({ ...sftpOptions(owner, endpoint, options.env), password, deadline: options.deadline });
}

/** Every host key the account's server holds (type and SHA256 fingerprint), for `accounts test`. */
export async function scanHostKeys(account: Account, env: NodeJS.ProcessEnv): Promise<OfferedHostKey[]> {
  if (account.transport !== 'sftp' || !account.host || !account.username) return [];
  const { scanHostKeys: scan } = await import('./sftp.js');
  return scan(sftpOptions(`account "${account.name}"`, account, env));
}

function sftpOptions(owner: string, endpoint: SftpEndpoint, env: NodeJS.ProcessEnv): SftpOptions {
  let passphrase: string | undefined;
  if (endpoint.passphraseEnv) {
    passphrase = env[endpoint.passphraseEnv];
    if (passphrase === undefined) {
      throw new UsageError(`${owner}: the passphrase variable ${endpoint.passphraseEnv} is not set`);
    }
  }
  return {
    host: endpoint.host!,
    port: endpoint.port,
    username: endpoint.username!,
    privateKey: endpoint.privateKeyPath ?? undefined,
    passphrase,
    hostKey: endpoint.hostKey,
    legacyAlgorithms: endpoint.legacyAlgorithms,
  };
}
