/**
 * A second real SFTP server implementation beside OpenSSH: ProFTPD with mod_sftp (Debian's
 * `proftpd-core` and `proftpd-mod-crypto`), on 127.0.0.1, chrooted into a jail so The Edge's absolute
 * paths exist exactly, key login for root, an RSA and an ECDSA host key (PEM, as mod_sftp reads them),
 * umask 0 so files get exactly the mode the client asks for.
 *
 * Skipped loudly when ProFTPD or its SFTP module is missing, unless JL_EDGE_REQUIRE_PROFTPD=1 (CI),
 * where `startProftpd` throws so the suite fails instead.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fingerprintOf } from '../../src/transport/host-keys.js';
import { descendantsOf, removeFolders, sshdAvailability } from './sshd.js';

const run = promisify(execFile);

const PROFTPD = '/usr/sbin/proftpd';
const MOD_SFTP = '/usr/lib/proftpd/mod_sftp.so';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';

export interface ProftpdServer {
  host: '127.0.0.1';
  port: number;
  username: 'root';
  privateKeyPath: string;
  /** Every host key with its SSH key type, in the order generated (RSA, then ECDSA). */
  hostKeys: { keyType: string; fingerprint: string }[];
  jail: string;
  /** Creates the SPEC §1 label folders under `root`. */
  makeTree(root?: string): Promise<void>;
  stop(): Promise<void>;
}

function availability(): { available: boolean; reason?: string } {
  if (!existsSync(PROFTPD) || !existsSync(MOD_SFTP)) {
    return {
      available: false,
      reason: 'ProFTPD with mod_sftp not installed: apt-get install -y proftpd-core proftpd-mod-crypto',
    };
  }
  if (!existsSync(SSH_KEYGEN)) return { available: false, reason: sshdAvailability().reason };
  if (process.getuid?.() !== 0) return { available: false, reason: 'ProFTPD tests need root (DefaultRoot chroot)' };
  return { available: true };
}

function computeSkip(): string | false {
  const { available, reason } = availability();
  if (available || process.env.JL_EDGE_REQUIRE_PROFTPD === '1') return false;
  process.stderr.write(
    `\n*** ProFTPD tests SKIPPED: ${reason} (set JL_EDGE_REQUIRE_PROFTPD=1 to fail instead) ***\n\n`,
  );
  return reason ?? 'ProFTPD unavailable';
}

/** Pass as `{ skip: proftpdSkip }` to `describe`/`it`. */
export const proftpdSkip: string | false = computeSkip();

export async function startProftpd(): Promise<ProftpdServer> {
  const { available, reason } = availability();
  if (!available) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), 'jl-edge-proftpd-'));
  // The chroot must not be under /tmp's sticky, world-writable tree for the server to trust it.
  const jail = await mkdtemp('/run/proftpd-jail.');
  await chmod(jail, 0o755);
  try {
    const hostKeyPaths = [join(dir, 'host_rsa'), join(dir, 'host_ecdsa')];
    const privateKeyPath = join(dir, 'client_ed25519');
    await Promise.all([
      keygen(['-t', 'rsa', '-b', '3072', '-m', 'PEM', '-f', hostKeyPaths[0]]),
      keygen(['-t', 'ecdsa', '-m', 'PEM', '-f', hostKeyPaths[1]]),
      keygen(['-t', 'ed25519', '-f', privateKeyPath]),
    ]);
    // mod_sftp reads authorized keys in RFC 4716 form.
    const { stdout } = await run(SSH_KEYGEN, ['-e', '-f', `${privateKeyPath}.pub`]);
    await writeFile(join(dir, 'authorized_keys'), stdout);
    const hostKeys = await Promise.all(
      hostKeyPaths.map(async (path) => {
        const [keyType, blob] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/);
        return { keyType, fingerprint: fingerprintOf(Buffer.from(blob, 'base64')) };
      }),
    );
    const { child, port } = await spawnOnFreePort(dir, jail, hostKeyPaths);
    return new RunningProftpd(child, port, dir, jail, privateKeyPath, hostKeys);
  } catch (err) {
    await removeFolders(dir, jail);
    throw err;
  }
}

class RunningProftpd implements ProftpdServer {
  readonly host = '127.0.0.1' as const;
  readonly username = 'root' as const;
  private stopped = false;

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
    readonly jail: string,
    readonly privateKeyPath: string,
    readonly hostKeys: { keyType: string; fingerprint: string }[],
  ) {}

  async makeTree(root = '/live'): Promise<void> {
    for (const folder of ['incoming', 'outgoing', 'inventory/errors']) {
      await mkdir(join(this.jail, root, folder), { recursive: true });
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.pid !== undefined) {
      for (const pid of descendantsOf(this.child.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // The session ended between listing and signalling.
        }
      }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    await removeFolders(this.jail, this.dir);
  }
}

async function keygen(args: string[]): Promise<void> {
  await run(SSH_KEYGEN, ['-q', '-N', '', '-C', 'jl-edge-test', ...args]);
}

function proftpdConfig(dir: string, jail: string, port: number, hostKeyPaths: string[]): string {
  return `${[
    'ServerType standalone',
    'ServerName "jl-edge test"',
    'DefaultAddress 127.0.0.1',
    `Port ${port}`,
    'UseIPv6 off',
    'User root',
    'Group root',
    `PidFile ${join(dir, 'proftpd.pid')}`,
    `ScoreboardFile ${join(dir, 'proftpd.scoreboard')}`,
    // No login delay table and no wtmp entries: a throw-away server.
    'DelayTable none',
    'WtmpLog off',
    // /etc/ftpusers lists root; this server exists for the tests only.
    'UseFtpUsers off',
    'RootLogin on',
    'RequireValidShell off',
    'AuthOrder mod_auth_unix.c',
    `DefaultRoot ${jail}`,
    'Umask 000',
    'ModulePath /usr/lib/proftpd',
    '<IfModule mod_dso.c>',
    '  LoadModule mod_sftp.c',
    '</IfModule>',
    'SFTPEngine on',
    `SFTPLog ${join(dir, 'sftp.log')}`,
    ...hostKeyPaths.map((path) => `SFTPHostKey ${path}`),
    'SFTPAuthMethods publickey',
    `SFTPAuthorizedUserKeys file:${join(dir, 'authorized_keys')}`,
  ].join('\n')}\n`;
}

async function spawnOnFreePort(
  dir: string,
  jail: string,
  hostKeyPaths: string[],
): Promise<{ child: ChildProcess; port: number }> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const configPath = join(dir, 'proftpd.conf');
    await writeFile(configPath, proftpdConfig(dir, jail, port, hostKeyPaths));
    const child = spawn(PROFTPD, ['-n', '-q', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    if (await listening(child, port)) return { child, port };
    lastFailure = log;
    if (!/in use|bind/i.test(log)) break;
  }
  throw new Error(`proftpd did not start: ${lastFailure.trim()}`);
}

/** Polls the port until it accepts a connection, or resolves false when proftpd exits first. */
async function listening(child: ChildProcess, port: number): Promise<boolean> {
  const giveUpAt = Date.now() + 10_000;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  return false;
}
