/**
 * A real OpenSSH sshd serving SFTP on 127.0.0.1 for tests, in a chroot jail so The Edge's absolute
 * paths (`/live/incoming/…`) exist exactly. Throw-away host and client keys; key auth for root,
 * password auth for one dedicated local user (tests that prove a password never leaks need a real
 * password login).
 *
 * Usage in a test file:
 *   describe('…', { skip: sshdSkip }, () => {
 *     const server = useSshd('/live');
 *     it('…', async () => { const t = await openSftpTransport(sftpTestOptions(server())); … });
 *   });
 *
 * Needs root (ChrootDirectory, useradd). When sshd is missing the tests are skipped loudly, unless
 * JL_EDGE_REQUIRE_SSHD=1 (CI), where `startSshd` throws so the suite fails instead.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  appendFile,
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  rmdir,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { describeOfferedKey, type OfferedHostKey } from '../../src/transport/host-keys.js';
import type { SftpOptions } from '../../src/transport/sftp.js';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const PASSWORD_USER = 'jledgetest';
/** Shared by concurrent test processes: whoever creates the user first picks the password. */
const PASSWORD_USER_STATE = '/run/jl-edge-test-user';
const INSTALL_HINT = 'sshd not installed: apt-get install -y openssh-server';

/**
 * How a server differs from the default one (key for root, password for the password user, one
 * ed25519 host key, modern algorithms only, every SFTP request served): the kinds of server a seller
 * meets in the wild (issue 18).
 */
export interface SshdVariant {
  /** Host key types, in the order the server lists them. Default ['ed25519']. */
  hostKeyTypes?: HostKeyType[];
  /** The password user logs in with keyboard-interactive only, answered through PAM. */
  keyboardInteractiveOnly?: boolean;
  /** Only diffie-hellman-group14-sha1 key exchange, CBC ciphers and an ssh-rsa host key, as old servers. */
  legacyAlgorithmsOnly?: boolean;
  /** SFTP requests the server refuses (internal-sftp -P), e.g. ['fstat'] or ['remove']. */
  deniedRequests?: string[];
}

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdServer {
  host: '127.0.0.1';
  port: number;
  /** Logs in with `privateKeyPath`. */
  username: string;
  privateKeyPath: string;
  /** OpenSSH `SHA256:…` form, as an account pins it: the server's first host key. */
  hostKeyFingerprint: string;
  /** Every host key, in the server's order, with its SSH key type (`ssh-rsa`, …). */
  hostKeys: OfferedHostKey[];
  /** Local path of the chroot: the remote `/live/x` is `join(jail, 'live/x')`. */
  jail: string;
  /** A local user that logs in with a password; null when the machine cannot create one. */
  passwordUser: { username: string; password: string } | null;
  /** Creates the SPEC §1 label folders under `root` (`/live` or `/uat`), writable by both users. */
  makeTree(root?: string): Promise<void>;
  /** Lets another key (its `.pub` file) log in as `username`. */
  authorizeKey(publicKeyPath: string): Promise<void>;
  /** SIGSTOP the per-connection sshd processes: a server that stops answering mid-session. */
  freeze(): void;
  /** SIGSTOP the listening sshd: new connections are accepted by the kernel but never answered. */
  freezeListener(): void;
  /** Resume everything frozen by freeze() or freezeListener(). */
  thaw(): void;
  /** SIGKILL the per-connection sshd processes: the connection drops mid-transfer. */
  killSessions(): void;
  /** Successful logins since the server started, from its log ("Accepted publickey for …"). */
  logins(): number;
  /** Kills sessions and sshd, removes the jail and keys. Safe to call twice. */
  stop(): Promise<void>;
}

export function sshdAvailability(): { available: boolean; reason?: string } {
  if (!existsSync(SSHD) || !existsSync(SSH_KEYGEN)) return { available: false, reason: INSTALL_HINT };
  if (process.getuid?.() !== 0) {
    return { available: false, reason: 'sshd tests need root (ChrootDirectory and a test user require it)' };
  }
  return { available: true };
}

function computeSkip(): string | false {
  const { available, reason } = sshdAvailability();
  if (available || process.env.JL_EDGE_REQUIRE_SSHD === '1') return false;
  // The skip reason alone is easy to miss in a long spec report.
  process.stderr.write(`\n*** SFTP tests SKIPPED: ${reason} (set JL_EDGE_REQUIRE_SSHD=1 to fail instead) ***\n\n`);
  return reason ?? 'sshd unavailable';
}

/** Pass as `{ skip: sshdSkip }` to `describe`/`it`. */
export const sshdSkip: string | false = computeSkip();

/** The `accounts add` / `destinations add` options that log in to `server` with its key, pinning `hostKey`. */
export function keyLoginOptions(
  server: Pick<SshdServer, 'host' | 'port' | 'username' | 'privateKeyPath'>,
  hostKey: string,
): string[] {
  return [
    '--host',
    server.host,
    '--port',
    String(server.port),
    '--username',
    server.username,
    '--private-key',
    server.privateKeyPath,
    '--host-key',
    hostKey,
  ];
}

/** Connection options for the key-authenticated user, with short timeouts suited to tests. */
export function sftpTestOptions(server: SshdServer, overrides: Partial<SftpOptions> = {}): SftpOptions {
  return {
    host: server.host,
    port: server.port,
    username: server.username,
    privateKey: server.privateKeyPath,
    hostKey: server.hostKeyFingerprint,
    connectTimeoutMs: 5000,
    operationTimeoutMs: 10000,
    ...overrides,
  };
}

/**
 * One server per describe block (of `variant`), started with the `root` folder tree before its tests and
 * stopped after them (then `temp` removed). Returns the running server.
 */
export function useSshd(
  root = '/live',
  { variant = {}, temp }: { variant?: SshdVariant; temp?: { remove(): void } } = {},
): () => SshdServer {
  let server: SshdServer | undefined;
  before(async () => {
    server = await startSshd(variant);
    await server.makeTree(root);
  });
  after(async () => {
    await server?.stop();
    temp?.remove();
  });
  return () => server!;
}

export async function startSshd(variant: SshdVariant = {}): Promise<SshdServer> {
  const { available, reason } = sshdAvailability();
  if (!available) throw new Error(reason);
  const hostKeyTypes = variant.hostKeyTypes ?? (variant.legacyAlgorithmsOnly ? ['rsa'] : ['ed25519']);

  const keysDir = await mkdtemp(join(tmpdir(), 'jl-edge-sshd-'));
  // Every component of a ChrootDirectory must be root-owned and not group/world-writable; /tmp is
  // 1777, so the jail lives under /run. 0755 so the password user can enter it after the chroot.
  const jail = await mkdtemp('/run/sftp-jail.');
  await chmod(jail, 0o755);
  try {
    const privateKeyPath = join(keysDir, 'client_ed25519');
    const hostKeyPaths = hostKeyTypes.map((type) => join(keysDir, `host_${type}`));
    await Promise.all([
      ...hostKeyTypes.map((type, i) => generateKey(hostKeyPaths[i], type)),
      generateKey(privateKeyPath, 'ed25519'),
    ]);
    await copyFile(`${privateKeyPath}.pub`, join(keysDir, 'authorized_keys'));
    const hostKeys = await Promise.all(
      hostKeyPaths.map(async (path) => {
        const blob = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/)[1];
        return describeOfferedKey(Buffer.from(blob, 'base64'));
      }),
    );
    const passwordUser = await ensurePasswordUser();
    await mkdir('/run/sshd', { recursive: true });

    const { child, port } = await spawnOnFreePort({
      keysDir,
      jail,
      hostKeyPaths,
      allowPasswordUser: passwordUser !== null,
      variant,
    });
    const passwordUserIds = passwordUser ? await userIds(passwordUser.username) : null;
    return new RunningSshd(child, port, keysDir, jail, privateKeyPath, hostKeys, passwordUser, passwordUserIds);
  } catch (err) {
    await removeFolders(keysDir, jail);
    throw err;
  }
}

class RunningSshd implements SshdServer {
  readonly host = '127.0.0.1' as const;
  readonly username = 'root';
  readonly hostKeyFingerprint: string;
  private stopped = false;
  private acceptedLogins = 0;

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly keysDir: string,
    readonly jail: string,
    readonly privateKeyPath: string,
    readonly hostKeys: OfferedHostKey[],
    readonly passwordUser: { username: string; password: string } | null,
    private readonly passwordUserIds: { uid: number; gid: number } | null,
  ) {
    this.hostKeyFingerprint = hostKeys[0].fingerprint;
    // sshd logs each login as one line; a chunk may end mid-line.
    let partial = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      this.acceptedLogins += lines.filter((line) => /^Accepted \S+ for /.test(line)).length;
    });
  }

  logins(): number {
    return this.acceptedLogins;
  }

  async makeTree(root = '/live'): Promise<void> {
    const base = join(this.jail, root);
    const folders = [base, ...['incoming', 'outgoing', 'inventory', 'inventory/errors'].map((f) => join(base, f))];
    for (const folder of folders) {
      await mkdir(folder, { recursive: true });
      if (this.passwordUserIds) await chown(folder, this.passwordUserIds.uid, this.passwordUserIds.gid);
    }
  }

  async authorizeKey(publicKeyPath: string): Promise<void> {
    await appendFile(join(this.keysDir, 'authorized_keys'), await readFile(publicKeyPath));
  }

  freeze(): void {
    this.signalSessions('SIGSTOP');
  }

  freezeListener(): void {
    if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGSTOP');
  }

  thaw(): void {
    if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGCONT');
    this.signalSessions('SIGCONT');
  }

  killSessions(): void {
    this.signalSessions('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Killing the listener alone leaves open sessions running; a stopped process still dies on SIGKILL.
    this.signalSessions('SIGKILL');
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    await rm(this.jail, { recursive: true, force: true });
    if (existsSync(join(this.keysDir, PAM_SERVICE))) await rm(PAM_SERVICE_FILE, { force: true });
    await rm(this.keysDir, { recursive: true, force: true });
  }

  private signalSessions(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    for (const pid of descendantsOf(this.child.pid)) {
      try {
        process.kill(pid, signal);
      } catch {
        // The session ended between listing and signalling.
      }
    }
  }
}

/** Every process below `rootPid`, read from /proc (no dependency on procps). */
/** Removes a server's folders (its keys, its jail) when it stops or fails to start. */
export async function removeFolders(...folders: string[]): Promise<void> {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
}

export function descendantsOf(rootPid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = childrenOf.get(ppid) ?? [];
    siblings.push(Number(entry));
    childrenOf.set(ppid, siblings);
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A throw-away key; `passphrase` encrypts it (tests of passphrase-protected keys). */
export async function generateKey(path: string, type: HostKeyType, passphrase = ''): Promise<void> {
  const size = type === 'rsa' ? ['-b', '3072'] : [];
  await run(SSH_KEYGEN, ['-q', '-t', type, ...size, '-N', passphrase, '-C', 'jl-edge-test', '-f', path]);
}

interface ServerSetup {
  keysDir: string;
  jail: string;
  hostKeyPaths: string[];
  allowPasswordUser: boolean;
  variant: SshdVariant;
}

async function spawnOnFreePort(setup: ServerSetup): Promise<{ child: ChildProcess; port: number }> {
  const version = await sshdVersion();
  // PAM names its service after the program: a link of our own name uses our service file, not the
  // system's sshd one (whose session modules, pam_loginuid among them, fail in containers).
  const program = setup.variant.keyboardInteractiveOnly ? await pamSshd(setup.keysDir) : SSHD;
  let lastFailure = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const configPath = join(setup.keysDir, 'sshd_config');
    await writeFile(configPath, sshdConfig({ ...setup, port, version }));
    const started = await spawnSshd(program, configPath, port);
    if ('child' in started) return { child: started.child, port };
    lastFailure = started.log;
    if (!/Address already in use|Bind to port/i.test(started.log)) break;
  }
  throw new Error(`sshd did not start: ${lastFailure.trim()}`);
}

function sshdConfig(o: ServerSetup & { port: number; version: number }): string {
  const kbdOnly = o.variant.keyboardInteractiveOnly === true;
  const denied = o.variant.deniedRequests?.length ? ` -P ${o.variant.deniedRequests.join(',')}` : '';
  const lines = [
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    ...o.hostKeyPaths.map((path) => `HostKey ${path}`),
    `PidFile ${join(o.keysDir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(o.keysDir, 'authorized_keys')}`,
    'StrictModes no',
    // Without PAM, sshd checks passwords against /etc/shadow itself; keyboard-interactive needs PAM.
    `UsePAM ${kbdOnly ? 'yes' : 'no'}`,
    'PermitRootLogin prohibit-password',
    `AllowUsers root${o.allowPasswordUser ? ` ${PASSWORD_USER}` : ''}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    `KbdInteractiveAuthentication ${kbdOnly ? 'yes' : 'no'}`,
    'Subsystem sftp internal-sftp',
    `ChrootDirectory ${o.jail}`,
    // umask 0: files get exactly the mode the client asks for, so the tests see it.
    `ForceCommand internal-sftp -d / -u 0000${denied}`,
    'AllowTcpForwarding no',
    'X11Forwarding no',
    // Tests open connections in bursts; the default 10:30:100 drops some of them at random.
    'MaxStartups 100',
  ];
  // OpenSSH 9.8 penalises a source address after a session crashes: killSessions() would then lock
  // the tests out of their own server.
  if (o.version >= 9.8) lines.push('PerSourcePenalties no');
  if (o.variant.legacyAlgorithmsOnly) {
    lines.push(
      'KexAlgorithms diffie-hellman-group14-sha1',
      'Ciphers aes128-cbc,aes256-cbc',
      'MACs hmac-sha1',
      'HostKeyAlgorithms ssh-rsa',
    );
  }
  // Match blocks must come last: every following line belongs to the block.
  if (o.allowPasswordUser) {
    lines.push(
      `Match User ${PASSWORD_USER}`,
      kbdOnly ? '    AuthenticationMethods keyboard-interactive' : '    PasswordAuthentication yes',
    );
  }
  return `${lines.join('\n')}\n`;
}

const PAM_SERVICE = 'jl-edge-test-sshd';
const PAM_SERVICE_FILE = `/etc/pam.d/${PAM_SERVICE}`;

/** sshd under a link named after our PAM service, which checks the password against /etc/shadow only. */
async function pamSshd(keysDir: string): Promise<string> {
  await writeFile(
    PAM_SERVICE_FILE,
    'auth required pam_unix.so\naccount required pam_unix.so\nsession required pam_permit.so\n',
  );
  const link = join(keysDir, PAM_SERVICE);
  await symlink(SSHD, link);
  return link;
}

async function sshdVersion(): Promise<number> {
  // `sshd -V` prints its version on stderr and exits non-zero.
  const result = await run(SSHD, ['-V']).catch((err: { stderr?: string }) => ({ stderr: err.stderr ?? '' }));
  const match = /OpenSSH_(\d+\.\d+)/.exec(result.stderr);
  return match ? Number(match[1]) : 0;
}

/** Resolves once sshd says it is listening, or with its log when it exits first. */
function spawnSshd(
  program: string,
  configPath: string,
  port: number,
): Promise<{ child: ChildProcess } | { log: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        // Keep draining stderr so a chatty sshd never blocks on a full pipe.
        child.stderr!.off('data', onData).resume();
        child.off('exit', onExit);
        resolve({ child });
      }
    };
    const onExit = (): void => resolve({ log });
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Creates the password user once per machine and sets its password under a lock, because test files
 * run in parallel processes and each would otherwise set a different password for the same user.
 */
async function ensurePasswordUser(): Promise<{ username: string; password: string } | null> {
  if (!existsSync('/usr/sbin/useradd') || !existsSync('/usr/sbin/chpasswd')) return null;
  try {
    return await createPasswordUser();
  } catch {
    // Key-auth tests still run; the password test skips itself when passwordUser is null.
    return null;
  }
}

async function createPasswordUser(): Promise<{ username: string; password: string }> {
  const passwordFile = join(PASSWORD_USER_STATE, 'password');
  const lockDir = `${PASSWORD_USER_STATE}.lock`;
  const password = await withDirectoryLock(lockDir, async () => {
    await mkdir(PASSWORD_USER_STATE, { recursive: true, mode: 0o700 });
    const known = await userIds(PASSWORD_USER).catch(() => null);
    if (known === null) {
      await run('/usr/sbin/useradd', [
        '--no-create-home',
        '--home-dir',
        '/',
        '--shell',
        '/usr/sbin/nologin',
        PASSWORD_USER,
      ]);
    }
    let stored = await readFile(passwordFile, 'utf8').catch(() => '');
    if (stored === '') {
      stored = randomBytes(18).toString('base64url');
      await writeFile(passwordFile, stored, { mode: 0o600 });
    }
    // Re-applied every time: cheap, and heals a user whose password was changed behind our back.
    await runWithInput('/usr/sbin/chpasswd', `${PASSWORD_USER}:${stored}\n`);
    return stored;
  });
  return { username: PASSWORD_USER, password };
}

async function withDirectoryLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + 15000;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A holder that crashed never removes the lock; the work inside takes well under a second.
      if (Date.now() > giveUpAt) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await work();
  } finally {
    await rmdir(lockDir).catch(() => undefined);
  }
}

async function userIds(username: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', username]), run('id', ['-g', username])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function runWithInput(command: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}
