import { UsageError } from '../core/errors.js';
import type { Account } from '../core/account.js';
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
  if (!account.host || !account.username) {
    throw new UsageError(
      `account "${account.name}" needs an SFTP host and username (jl-edge accounts set ${account.name} --host … --username …)`,
    );
  }
  let password: string | undefined;
  if (account.passwordEnv) {
    password = options.env[account.passwordEnv];
    if (password === undefined) {
      throw new UsageError(`account "${account.name}": the password variable ${account.passwordEnv} is not set`);
    }
  }
  if (password === undefined && !account.privateKeyPath) {
    throw new UsageError(`account "${account.name}" has no secret: give --password-env <VAR> or --private-key <file>`);
  }
  const { openSftpTransport } = await import('./sftp.js');
  return openSftpTransport({
    host: account.host,
    port: account.port,
    username: account.username,
    password,
    privateKey: account.privateKeyPath ?? undefined,
    hostKey: account.hostKey,
    deadline: options.deadline,
  });
}
