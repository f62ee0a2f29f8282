/**
 * Transport over SFTP (ssh2-sftp-client 12 on ssh2). What this file guarantees, because cron runs it
 * unattended: the server's host key is pinned; connecting, every operation and `end()` are bounded in
 * time, so a hung server never stacks cron jobs; nothing is printed; the password never appears in an
 * error message.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import SftpClient from 'ssh2-sftp-client';
import { ConnectionError, TransferError, errorMessage } from '../core/errors.js';
import {
  MARKER_SUFFIX,
  assertSafeRemotePath,
  type RemoteEntry,
  type SkippedEntry,
  type Transport,
} from './transport.js';

export interface SftpOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** Path of a private key file. */
  privateKey?: string;
  /** OpenSSH form `SHA256:…`; null refuses every server and reports the fingerprint it offered. */
  hostKey: string | null;
  /** Per connection attempt, TCP connect to SFTP session ready. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Longest an operation may go without progress (for transfers: without a chunk moving), so a big
   * file on a slow line is not cut off while a silent server is. Default 30000.
   */
  operationTimeoutMs?: number;
  /** Epoch ms: the whole-run deadline. Connecting and every operation fail once it has passed. */
  deadline?: number;
  /** Network failures are retried with backoff up to this many attempts in all. Default 3. */
  connectAttempts?: number;
  /** SSH keepalive period; three unanswered keepalives drop the connection. Default 1000. */
  keepaliveIntervalMs?: number;
}

const KEEPALIVE_COUNT_MAX = 3;
const FIRST_RETRY_DELAY_MS = 500;
/** How long `end()` waits for a polite goodbye before cutting the socket. */
const END_GRACE_MS = 2000;
/**
 * Uploads are streamed in pieces so the idle timer sees progress and several writes are in flight.
 * Measured, 10 MB on loopback (median of 12): 256 KB pieces 43 ms, 64 KB 60 ms, fastPut 53 ms.
 */
const UPLOAD_CHUNK_BYTES = 256 * 1024;
/**
 * Files up to this size go up in one SFTP write request (every server takes 34,000-byte packets), so the
 * size check and the close can be sent right behind it instead of a round trip later each. A server that
 * answered them out of order could only make the check fail, never pass wrongly.
 */
const PIPELINED_WRITE_BYTES = 16 * 1024;
/** Reads ask for this much at a time: every order file in one request, a large file in few. */
const READ_PIECE_BYTES = 64 * 1024;
/** setTimeout's ceiling; a later deadline is simply not armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Failures worth another attempt: the network, not the credentials or the server's key. */
const TRANSIENT_SSH_LEVELS = new Set(['client-socket', 'client-timeout', 'protocol']);
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;

type SftpSession = Awaited<ReturnType<SftpClient['connect']>>;
type SshError = Error & { level?: string; code?: string | number };

interface Connection {
  client: SftpClient;
  sftp: SftpSession;
  /** Ours, not ssh2's: ssh2's destroy() is a no-op once the socket is half-closed by end(). */
  socket: net.Socket;
}

interface Settings {
  host: string;
  port: number;
  username: string;
  password: string | undefined;
  privateKeyPath: string | undefined;
  hostKey: string | null;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  deadline: number;
  connectAttempts: number;
  keepaliveIntervalMs: number;
}

/** OpenSSH's fingerprint of a raw public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export async function openSftpTransport(options: SftpOptions): Promise<Transport> {
  const settings: Settings = {
    host: options.host,
    port: options.port,
    username: options.username,
    password: options.password,
    privateKeyPath: options.privateKey,
    hostKey: options.hostKey,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    operationTimeoutMs: options.operationTimeoutMs ?? 30_000,
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    connectAttempts: Math.max(1, options.connectAttempts ?? 3),
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 1000,
  };
  const privateKey = settings.privateKeyPath ? await readPrivateKey(settings) : undefined;
  if (privateKey === undefined && !settings.password) {
    throw new ConnectionError(`no password or private key configured for ${settings.username}@${endpoint(settings)}`);
  }
  return new SftpTransport(await connectWithRetries(settings, privateKey), settings);
}

async function readPrivateKey(settings: Settings): Promise<Buffer> {
  try {
    return await readFile(settings.privateKeyPath!);
  } catch (err) {
    throw new ConnectionError(
      `cannot read private key ${settings.privateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
    );
  }
}

function endpoint(settings: Settings): string {
  return `${settings.host}:${settings.port}`;
}

/** Error text as it may be shown or stored: the password is cut out wherever a library echoed it. */
function redact(settings: Settings, message: string): string {
  return settings.password ? message.split(settings.password).join('***') : message;
}

async function connectWithRetries(settings: Settings, privateKey: Buffer | undefined): Promise<Connection> {
  let lastReason = '';
  for (let attempt = 1; ; attempt++) {
    const remaining = settings.deadline - Date.now();
    if (remaining <= 0) {
      throw new ConnectionError(
        `whole-run deadline passed before connecting to ${endpoint(settings)}${lastReason ? ` (last failure: ${lastReason})` : ''}`,
      );
    }
    const outcome = await connectOnce(settings, privateKey, Math.min(settings.connectTimeoutMs, remaining));
    if ('connection' in outcome) return outcome.connection;
    if ('refused' in outcome) throw outcome.refused;
    lastReason = outcome.networkFailure;
    if (attempt >= settings.connectAttempts) {
      throw new ConnectionError(`cannot connect to ${endpoint(settings)} after ${attempt} attempt(s): ${lastReason}`);
    }
    const backoff = FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1);
    if (Date.now() + backoff >= settings.deadline) {
      throw new ConnectionError(
        `whole-run deadline leaves no time to retry ${endpoint(settings)} (last failure: ${lastReason})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
}

/** `refused` fails the same way on every attempt; `networkFailure` is worth another. */
type ConnectOutcome = { connection: Connection } | { refused: ConnectionError } | { networkFailure: string };

async function connectOnce(
  settings: Settings,
  privateKey: Buffer | undefined,
  budgetMs: number,
): Promise<ConnectOutcome> {
  // ssh2 never sets TCP_NODELAY; without it a streamed upload stalls on Nagle + delayed ACK.
  const socket = coalesceWrites(net.connect({ host: settings.host, port: settings.port, noDelay: true }));
  // ssh2 reports socket errors through the client; this only stops one that arrives before ssh2
  // listens (ssh2 can throw first, on a bad key) from crashing the process.
  socket.on('error', ignore);
  // A fresh client per attempt: ssh2-sftp-client 12 cannot be reused after a failed connect. The
  // default callbacks print to the console, and cron mails every printed line.
  const client = new SftpClient('jl-edge', { error: ignore, end: ignore, close: ignore });

  let hostKeyRefusal: ConnectionError | undefined;
  let sshFailure: SshError | undefined;
  let socketClosed = false;
  let timedOut = false;
  const recordFailure = (err: SshError): void => {
    sshFailure ??= err;
  };
  client.on('error', recordFailure);
  socket.once('close', () => (socketClosed = true));

  const hostVerifier = (key: Buffer): boolean => {
    const offered = fingerprintOf(key);
    if (settings.hostKey !== null && normaliseFingerprint(settings.hostKey) === offered) return true;
    hostKeyRefusal =
      settings.hostKey === null
        ? new ConnectionError(
            `no host key pinned for ${endpoint(settings)}: the server offered ${offered}. Check it with John Lewis, ` +
              `then pin it (\`jl-edge accounts test <name>\` prints it; or set JL_EDGE_SFTP_HOST_KEY)`,
            offered,
          )
        : new ConnectionError(
            `host key mismatch for ${endpoint(settings)}: expected ${settings.hostKey}, server offered ${offered}`,
            offered,
          );
    return false;
  };

  // readyTimeout stops at authentication; this timer also covers opening the SFTP subsystem.
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy();
  }, budgetMs);
  try {
    const sftp = await client.connect({
      sock: socket,
      host: settings.host,
      port: settings.port,
      username: settings.username,
      password: settings.password,
      privateKey,
      readyTimeout: budgetMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier,
    });
    client.removeListener('error', recordFailure);
    return { connection: { client, sftp, socket } };
  } catch (err) {
    socket.destroy();
    if (hostKeyRefusal) return { refused: hostKeyRefusal };
    if (sshFailure?.level === 'client-authentication') {
      const method = settings.password ? 'password' : `private key ${settings.privateKeyPath}`;
      return {
        refused: new ConnectionError(
          `authentication failed for ${settings.username}@${endpoint(settings)} (${method})`,
        ),
      };
    }
    if (timedOut) return { networkFailure: `no SFTP session within ${budgetMs} ms` };
    const reason = redact(settings, errorMessage(sshFailure ?? err));
    // A connection that dropped before the session was ready is a network failure; anything else
    // (an unparsable key, no common algorithm) fails the same way every time.
    const transient = sshFailure ? TRANSIENT_SSH_LEVELS.has(sshFailure.level ?? '') : socketClosed;
    return transient
      ? { networkFailure: reason }
      : { refused: new ConnectionError(`cannot connect to ${endpoint(settings)}: ${reason}`) };
  } finally {
    clearTimeout(timer);
  }
}

function ignore(): void {}

/**
 * ssh2 writes every SSH packet to the socket on its own, one system call each. Requests issued together
 * (a write, the size check and the close behind it; overlapping deliveries) are held until the end of
 * the current tick and leave in one call. Nothing waits longer than that tick, so no latency is added.
 */
function coalesceWrites(socket: net.Socket): net.Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    return write(...args);
  }) as typeof socket.write;
  return socket;
}

type Stats = { size: number };

/** One request on ssh2's SFTP session as a promise (ssh2 fails every pending request when the channel closes). */
function sftpRequest<T>(send: (done: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => send((err, value) => (err ? reject(err) : resolve(value))));
}

/** Accept a pasted fingerprint with base64 padding or stray whitespace. */
function normaliseFingerprint(fingerprint: string): string {
  return fingerprint.trim().replace(/=+$/, '');
}

class SftpTransport implements Transport {
  private closed = false;
  private ending: Promise<void> | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly settings: Settings,
  ) {
    // 'end' too: once the server has hung up, nothing more can be asked of it.
    const markClosed = (): void => {
      this.closed = true;
    };
    connection.socket.once('end', markClosed).once('close', markClosed);
  }

  list(dir: string, onSkipped?: (entry: SkippedEntry) => void): Promise<RemoteEntry[]> {
    return this.guarded('list', [dir], async () => {
      const entries = await this.connection.client.list(dir);
      for (const entry of entries) {
        // The type is the first letter of the `ls -l` long name: p (FIFO), s, c, b are neither folder nor link.
        const type: string = entry.type;
        if (type === '-') continue;
        onSkipped?.({ name: entry.name, kind: type === 'd' ? 'folder' : type === 'l' ? 'symlink' : 'other' });
      }
      return entries
        .filter((entry) => entry.type === '-')
        .map((entry) => ({ name: entry.name, size: entry.size, modifiedAt: entry.modifyTime }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  size(path: string): Promise<number | null> {
    return this.guarded('size', [path], async () => {
      try {
        return (await sftpRequest<Stats>((done) => this.connection.sftp.stat(path, done))).size;
      } catch (err) {
        if ((err as SshError).code === SFTP_NO_SUCH_FILE) return null;
        throw err;
      }
    });
  }

  read(path: string): Promise<Buffer> {
    return this.guarded('read', [path], async (progress) => {
      const sftp = this.connection.sftp;
      const handle = await this.open(path, 'r');
      // The files The Edge sends are a few KB: the size, the first piece and the close go together, one
      // round trip. A server answers requests on one file in order (draft-ietf-secsh-filexfer-02 §6.1).
      const [stats, first, close] = await Promise.allSettled([
        sftpRequest<Stats>((done) => sftp.fstat(handle, done)),
        this.readPiece(handle, 0),
        sftpRequest<void>((done) => sftp.close(handle, done)),
      ]);
      for (const step of [stats, first, close]) if (step.status === 'rejected') throw step.reason;
      const content = (first as PromiseFulfilledResult<Buffer>).value;
      progress();
      if (content.length === (stats as PromiseFulfilledResult<Stats>).value.size) return content;
      return this.readToEnd(path, progress);
    });
  }

  /** A larger file (or one that changed while it was read): piece after piece until the server says EOF. */
  private async readToEnd(path: string, progress: () => void): Promise<Buffer> {
    const handle = await this.open(path, 'r');
    const pieces: Buffer[] = [];
    try {
      for (let offset = 0; ;) {
        const piece = await this.readPiece(handle, offset);
        if (piece.length === 0) break;
        pieces.push(piece);
        offset += piece.length;
        progress();
      }
    } finally {
      await sftpRequest<void>((done) => this.connection.sftp.close(handle, done)).catch(ignore);
    }
    return Buffer.concat(pieces);
  }

  /** Up to READ_PIECE_BYTES from `offset`; empty at the end of the file. */
  private readPiece(handle: Buffer, offset: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(READ_PIECE_BYTES);
    return new Promise<Buffer>((resolve, reject) => {
      this.connection.sftp.read(handle, buffer, 0, buffer.length, offset, (err, bytesRead) =>
        err ? reject(err) : resolve(buffer.subarray(0, bytesRead)),
      );
    });
  }

  write(path: string, data: Buffer): Promise<void> {
    return this.guarded('write', [path], async (progress) => {
      await this.writeBuffer(await this.open(path, 'w'), data, progress);
    });
  }

  writeNew(path: string, data: Buffer): Promise<boolean> {
    return this.guarded('write', [path], async (progress) => {
      let handle: Buffer;
      try {
        handle = await this.open(path, 'wx');
      } catch (err) {
        // OpenSSH answers an existing file with a bare "Failure", like other refusals; only a missing
        // folder is sure to fail the same way when the caller looks and writes.
        const code = (err as SshError).code;
        if (typeof code === 'number' && code !== SFTP_NO_SUCH_FILE) return false;
        throw err;
      }
      await this.writeBuffer(handle, data, progress);
      return true;
    });
  }

  writeFromFile(path: string, localFile: string): Promise<void> {
    return this.guarded('write', [path], async (progress) => {
      // Checked first: a missing local file must not truncate the remote one.
      const expected = await localFileSize(localFile);
      // A sequential stream rather than fastPut: faster here (see UPLOAD_CHUNK_BYTES), and a killed
      // upload leaves a prefix of the file, never a full-size file with holes that a size check accepts.
      const source = createReadStream(localFile, { highWaterMark: UPLOAD_CHUNK_BYTES });
      source.on('data', progress);
      await this.connection.client.put(source, path);
      progress();
      await this.verifySize(path, expected);
    });
  }

  writeMarker(path: string): Promise<void> {
    const marker = path + MARKER_SUFFIX;
    return this.guarded('writeMarker', [marker], () => this.writeSmallFile(marker, Buffer.alloc(0)));
  }

  rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    return this.guarded('rename', [from, to], async () => {
      const client = this.connection.client;
      if (!options.overwrite) {
        await client.rename(from, to).catch((err: SshError) => {
          // OpenSSH answers a rename onto an existing file with a bare "Failure".
          throw err.code === SFTP_FAILURE ? new Error('refused by the server (does the target already exist?)') : err;
        });
      } else if (this.offersPosixRename()) {
        await client.posixRename(from, to);
      } else {
        // Plain SFTP rename refuses an existing target; without the extension, replacing is two steps.
        await client.delete(to, true);
        await client.rename(from, to);
      }
    });
  }

  delete(path: string): Promise<void> {
    return this.guarded('delete', [path], async () => {
      try {
        await sftpRequest<void>((done) => this.connection.sftp.unlink(path, done));
      } catch (err) {
        if ((err as SshError).code !== SFTP_NO_SUCH_FILE) throw err;
      }
    });
  }

  isDir(path: string): Promise<boolean> {
    // opendir rather than stat: the interface promises the folder can be listed, not just that it exists.
    return this.guarded('isDir', [path], () => {
      const sftp = this.connection.sftp;
      return new Promise<boolean>((resolve, reject) => {
        sftp.opendir(path, (err, handle) => {
          if (err) {
            const code = (err as SshError).code;
            if (code === SFTP_NO_SUCH_FILE || code === SFTP_PERMISSION_DENIED) resolve(false);
            else reject(err);
            return;
          }
          sftp.close(handle, () => resolve(true));
        });
      });
    });
  }

  makeDir(path: string): Promise<void> {
    return this.guarded('makeDir', [path], async () => {
      if (await this.connection.client.exists(path)) return;
      await this.connection.client.mkdir(path, true);
    });
  }

  end(): Promise<void> {
    this.ending ??= this.closeConnection();
    return this.ending;
  }

  private async closeConnection(): Promise<void> {
    if (!this.closed) {
      // A frozen server never answers the goodbye; keepalive alone would take seconds more.
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.connection.client.end().catch(ignore),
        new Promise((resolve) => (graceTimer = setTimeout(resolve, END_GRACE_MS))),
      ]);
      clearTimeout(graceTimer);
    }
    this.connection.socket.destroy();
  }

  /**
   * Open, write, close. The library's put() also sends an fchmod after opening: one round trip more,
   * which is a third of the cost of a small file (acknowledgements, markers) on a distant server.
   */
  private writeSmallFile(path: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.connection.sftp.writeFile(path, data, (err) => (err ? reject(err) : resolve()));
    });
  }

  private open(path: string, flags: 'r' | 'w' | 'wx'): Promise<Buffer> {
    return sftpRequest<Buffer>((done) => this.connection.sftp.open(path, flags, done));
  }

  /**
   * Writes `data` from the start of an open file, checks the file's size on the handle and closes it.
   * Straight on ssh2's SFTP session rather than through the library, whose calls share per-connection
   * state, so deliveries can overlap. Pieces go up one after another: a cut-off upload leaves a prefix
   * of the file, never a full-size file with a hole that a size check would accept.
   */
  private async writeBuffer(handle: Buffer, data: Buffer, progress: () => void): Promise<void> {
    const sftp = this.connection.sftp;
    const writePiece = (offset: number, length: number): Promise<void> =>
      sftpRequest<void>((done) => sftp.write(handle, data, offset, length, offset, done));
    let written: Promise<unknown> = Promise.resolve();
    if (data.length <= PIPELINED_WRITE_BYTES) {
      if (data.length > 0) written = writePiece(0, data.length);
    } else {
      const pieces = async (): Promise<void> => {
        for (let offset = 0; offset < data.length; offset += UPLOAD_CHUNK_BYTES) {
          await writePiece(offset, Math.min(UPLOAD_CHUNK_BYTES, data.length - offset));
          progress();
        }
      };
      // The file is closed whatever happens, so the handle is not left open on the server.
      await pieces().catch(async (err: unknown) => {
        await sftpRequest<void>((done) => sftp.close(handle, done)).catch(ignore);
        throw err;
      });
    }
    const [write, stats, close] = await Promise.allSettled([
      written,
      sftpRequest<Stats>((done) => sftp.fstat(handle, done)),
      sftpRequest<void>((done) => sftp.close(handle, done)),
    ]);
    for (const step of [write, stats, close]) if (step.status === 'rejected') throw step.reason;
    const actual = (stats as PromiseFulfilledResult<Stats>).value.size;
    if (actual !== data.length) throw new Error(`remote size after upload is ${actual} bytes, expected ${data.length}`);
  }

  private offersPosixRename(): boolean {
    // ssh2 records the server's extensions here and has no public accessor for them.
    const extensions = (this.connection.sftp as unknown as { _extensions?: Record<string, unknown> })._extensions;
    return extensions?.['posix-rename@openssh.com'] !== undefined;
  }

  private async verifySize(path: string, expected: number): Promise<void> {
    const actual = (await this.connection.client.stat(path)).size;
    if (actual !== expected) {
      throw new Error(`remote size after upload is ${actual} bytes, expected ${expected}`);
    }
  }

  /**
   * Runs one operation under the idle timeout and the run deadline. On either, the connection is
   * destroyed: a server that stopped answering cannot be trusted with the next operation, and the
   * abandoned one must not keep the process alive.
   */
  private guarded<T>(operation: string, paths: string[], work: (progress: () => void) => Promise<T>): Promise<T> {
    const subject = `${operation} ${paths.join(' -> ')}`;
    return new Promise<T>((resolve, reject) => {
      const fail = (reason: string): void => reject(new TransferError(`${subject}: ${redact(this.settings, reason)}`));
      try {
        paths.forEach(assertSafeRemotePath);
      } catch (err) {
        fail(errorMessage(err));
        return;
      }
      if (this.closed || this.ending) {
        fail('the SFTP connection is closed');
        return;
      }
      const remaining = this.settings.deadline - Date.now();
      if (remaining <= 0) {
        fail('the whole-run deadline has passed');
        return;
      }

      let idleTimer: NodeJS.Timeout | undefined;
      let deadlineTimer: NodeJS.Timeout | undefined;
      const disarm = (): void => {
        clearTimeout(idleTimer);
        clearTimeout(deadlineTimer);
      };
      const abandon = (reason: string): void => {
        disarm();
        this.connection.socket.destroy();
        fail(`${reason}; connection closed`);
      };
      const progress = (): void => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(
          () => abandon(`timed out: no response from the server for ${this.settings.operationTimeoutMs} ms`),
          this.settings.operationTimeoutMs,
        );
      };
      if (remaining <= MAX_TIMER_MS) {
        deadlineTimer = setTimeout(() => abandon('the whole-run deadline was reached'), remaining);
      }
      progress();

      work(progress).then(
        (value) => {
          disarm();
          resolve(value);
        },
        (err: unknown) => {
          disarm();
          // The library's wording for a dead connection ("Keepalive timeout", "read ECONNRESET")
          // does not say that the connection is what failed.
          const lost = this.closed || this.connection.socket.destroyed ? 'connection lost: ' : '';
          fail(lost + describeSftpError(err));
        },
      );
    });
  }
}

async function localFileSize(localFile: string): Promise<number> {
  try {
    return (await stat(localFile)).size;
  } catch (err) {
    // No errno code on this error: it must not be read as the remote side's "no such file".
    throw new Error(`cannot read local file ${localFile}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

/** Plain words for SFTP status codes; the library's own messages repeat paths and internal names. */
const SFTP_STATUS_WORDS: Record<string | number, string> = {
  ENOENT: 'no such file or folder',
  [SFTP_NO_SUCH_FILE]: 'no such file or folder',
  [SFTP_PERMISSION_DENIED]: 'permission denied',
  [SFTP_FAILURE]: 'the server reported a failure',
};

function describeSftpError(err: unknown): string {
  const code = (err as SshError).code;
  const words = code === undefined ? undefined : SFTP_STATUS_WORDS[code];
  // ssh2-sftp-client prefixes its internal function names ("Re-thrown: _put: read ECONNRESET").
  return words ?? errorMessage(err).replace(/^(?:[_a-zA-Z-]+(?::|->)\s*)+/, '');
}
