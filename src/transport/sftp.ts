/**
 * Transport over SFTP (ssh2-sftp-client 12 on ssh2). What this file guarantees, because cron runs it
 * unattended: the server's host key is pinned; connecting, every operation and `end()` are bounded in
 * time, so a hung server never stacks cron jobs; nothing is printed; the password never appears in an
 * error message.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import ssh2, {
  type Algorithms,
  type AuthHandlerMiddleware,
  type AuthenticationType,
  type FileEntry,
  type ParsedKey,
} from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { ConnectionError, TransferError, UsageError, errorMessage } from '../core/errors.js';
import { MARKER_SUFFIX } from '../formats/marker.js';
import { legacyAdvice, ssh2Algorithms, type AlgorithmKind } from './algorithms.js';
import {
  describeOfferedKey,
  hostKeyAlgorithmsFor,
  matchesPin,
  parseHostKeyPins,
  type HostKeyPin,
  type OfferedHostKey,
} from './host-keys.js';
import { assertSafeRemotePath, type RemoteEntry, type SkippedEntry, type Transport } from './transport.js';

export interface SftpOptions {
  host: string;
  port: number;
  username: string;
  /** Also answers keyboard-interactive prompts. */
  password?: string;
  /** Path of a private key file. */
  privateKey?: string;
  /** For an encrypted private key. */
  passphrase?: string;
  /**
   * Pins as host-keys.ts reads them (several, comma-separated); null refuses every server and reports
   * the key it offered.
   */
  hostKey: string | null;
  /** Weak algorithms the account allows explicitly (algorithms.ts). */
  legacyAlgorithms?: readonly string[];
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
/** Folder batches asked for at once while listing: measured on 100,000 entries, 4 in flight took 0.7× the time of 1. */
const READDIR_BATCHES_IN_FLIGHT = 4;
/** Reads ask for this much at a time: every order file in one request, a large file in few. */
const READ_PIECE_BYTES = 64 * 1024;
/**
 * Mode of every file we create. ssh2 asks for 0666 unless told, and a server that applies no umask
 * (ProFTPD, OpenSSH with -u 0) then leaves our orders' files writable by every user on it.
 */
const FILE_MODE = 0o644;
/** setTimeout's ceiling; a later deadline is simply not armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Failures worth another attempt: the network, not the credentials or the server's key. */
const TRANSIENT_SSH_LEVELS = new Set(['client-socket', 'client-timeout', 'protocol']);
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_EOF = 1;
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
  passphrase: string | undefined;
  hostKeys: HostKeyPin[] | null;
  legacyAlgorithms: readonly string[];
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  deadline: number;
  connectAttempts: number;
  keepaliveIntervalMs: number;
}

export async function openSftpTransport(options: SftpOptions): Promise<Transport> {
  const settings = settingsFrom(options);
  const privateKey = settings.privateKeyPath ? await readPrivateKey(settings) : undefined;
  if (privateKey === undefined && !settings.password) {
    throw new ConnectionError(`no password or private key configured for ${settings.username}@${endpoint(settings)}`);
  }
  return new SftpTransport(new Link(await connectWithRetries(settings, privateKey)), settings);
}

/**
 * Every host key the server holds, one per key type, found by asking for each type in turn. For
 * `accounts test`: a seller compares them with the fingerprints John Lewis gave and pins the right ones.
 */
export async function scanHostKeys(options: SftpOptions): Promise<OfferedHostKey[]> {
  const settings = settingsFrom({ ...options, hostKey: null });
  const found: OfferedHostKey[] = [];
  for (;;) {
    const outcome = await handshakeOnly(
      settings,
      found.map((k) => k.keyType),
    );
    if (outcome === null) return found;
    found.push(outcome);
  }
}

function settingsFrom(options: SftpOptions): Settings {
  let hostKeys: HostKeyPin[] | null = null;
  try {
    hostKeys = options.hostKey === null ? null : parseHostKeyPins(options.hostKey);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  return {
    host: options.host,
    port: options.port,
    username: options.username,
    password: options.password,
    privateKeyPath: options.privateKey,
    passphrase: options.passphrase,
    hostKeys,
    legacyAlgorithms: options.legacyAlgorithms ?? [],
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    operationTimeoutMs: options.operationTimeoutMs ?? 30_000,
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    connectAttempts: Math.max(1, options.connectAttempts ?? 3),
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 1000,
  };
}

async function readPrivateKey(settings: Settings): Promise<ParsedKey> {
  let text: Buffer;
  try {
    text = await readFile(settings.privateKeyPath!);
  } catch (err) {
    throw new ConnectionError(
      `cannot read private key ${settings.privateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
    );
  }
  const parsed = ssh2.utils.parseKey(text, settings.passphrase);
  if (parsed instanceof Error) {
    // ssh2's wording for an encrypted key without a passphrase does not say what to do about it.
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new UsageError(
      encrypted
        ? settings.passphrase === undefined
          ? `private key ${settings.privateKeyPath} is protected by a passphrase: give the NAME of the variable holding it with --passphrase-env (or set JL_EDGE_SFTP_PASSPHRASE)`
          : `private key ${settings.privateKeyPath}: the passphrase does not open it`
        : `private key ${settings.privateKeyPath} cannot be used: ${parsed.message}`,
    );
  }
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

function endpoint(settings: Settings): string {
  return `${settings.host}:${settings.port}`;
}

/** Error text as it may be shown or stored: the password is cut out wherever a library echoed it. */
function redact(settings: Settings, message: string): string {
  return settings.password ? message.split(settings.password).join('***') : message;
}

async function connectWithRetries(settings: Settings, privateKey: ParsedKey | undefined): Promise<Connection> {
  let lastReason = '';
  // Keys the server showed that match no pin: each is excluded from the next handshake, so a server
  // holding several keys is asked for its other ones before the connection is refused.
  const unmatchedKeys: OfferedHostKey[] = [];
  for (let attempt = 1; ;) {
    const remaining = settings.deadline - Date.now();
    if (remaining <= 0) {
      throw new ConnectionError(
        `whole-run deadline passed before connecting to ${endpoint(settings)}${lastReason ? ` (last failure: ${lastReason})` : ''}`,
      );
    }
    const excluded = unmatchedKeys.map((k) => k.keyType);
    const outcome = await connectOnce(settings, privateKey, Math.min(settings.connectTimeoutMs, remaining), excluded);
    if ('connection' in outcome) return outcome.connection;
    if ('refused' in outcome) throw outcome.refused;
    if ('unmatchedKey' in outcome) {
      unmatchedKeys.push(outcome.unmatchedKey);
      if (settings.hostKeys === null) throw hostKeyRefusal(settings, unmatchedKeys);
      continue;
    }
    if ('noOtherHostKey' in outcome) throw hostKeyRefusal(settings, unmatchedKeys);
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
    attempt++;
  }
}

function hostKeyRefusal(settings: Settings, offered: OfferedHostKey[]): ConnectionError {
  const keys = offered.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ');
  if (settings.hostKeys === null) {
    return new ConnectionError(
      `no host key pinned for ${endpoint(settings)}: the server offered ${keys}. Check it with John Lewis, ` +
        `then pin it (\`jl-edge accounts test <name>\` prints every key the server holds; or set JL_EDGE_SFTP_HOST_KEY)`,
      offered[0]?.fingerprint,
    );
  }
  const pinned = settings.hostKeys.map((p) => (p.keyType ? `${p.keyType} ${p.fingerprint}` : p.fingerprint));
  return new ConnectionError(
    `host key mismatch for ${endpoint(settings)}: pinned ${pinned.join(', ')}, but the server holds ${keys}`,
    offered[0]?.fingerprint,
  );
}

/**
 * `refused` fails the same way on every attempt; `networkFailure` is worth another; `unmatchedKey` is a
 * host key that matches no pin; `noOtherHostKey`: the server holds no key of the types not yet seen.
 */
type ConnectOutcome =
  | { connection: Connection }
  | { refused: ConnectionError }
  | { networkFailure: string }
  | { unmatchedKey: OfferedHostKey }
  | { noOtherHostKey: true };

type AuthMethod = 'publickey' | 'password' | 'keyboard-interactive';

/** What ssh2's debug output says the server offered, by handshake step: how a failed negotiation is explained. */
const SERVER_OFFER_LINE = /^Handshake: \(remote\) (KEX method|C->S cipher|C->S MAC): (.*)$/;
const OFFER_KIND: Record<string, AlgorithmKind> = {
  'KEX method': 'kex',
  'C->S cipher': 'cipher',
  'C->S MAC': 'hmac',
};
const NO_COMMON_ALGORITHM = /no matching (key exchange algorithm|[CS]->[CS] cipher|[CS]->[CS] MAC)/;
const NO_COMMON_HOST_KEY = /no matching host key format/;

async function connectOnce(
  settings: Settings,
  privateKey: ParsedKey | undefined,
  budgetMs: number,
  excludedKeyTypes: readonly string[],
): Promise<ConnectOutcome> {
  // ssh2 never sets TCP_NODELAY; without it a streamed upload stalls on Nagle + delayed ACK.
  const socket = coalesceWrites(net.connect({ host: settings.host, port: settings.port, noDelay: true }));
  // ssh2 reports socket errors through the client; this only stops one that arrives before ssh2
  // listens (ssh2 can throw first, on a bad key) from crashing the process.
  socket.on('error', ignore);
  // A fresh client per attempt: ssh2-sftp-client 12 cannot be reused after a failed connect. The
  // default callbacks print to the console, and cron mails every printed line.
  const client = new SftpClient('jl-edge', { error: ignore, end: ignore, close: ignore });

  let unmatchedKey: OfferedHostKey | undefined;
  let sshFailure: SshError | undefined;
  let socketClosed = false;
  let timedOut = false;
  const serverOffer: Partial<Record<AlgorithmKind, string[]>> = {};
  const recordFailure = (err: SshError): void => {
    sshFailure ??= err;
  };
  client.on('error', recordFailure);
  socket.once('close', () => (socketClosed = true));

  const hostVerifier = (key: Buffer): boolean => {
    const offered = describeOfferedKey(key);
    if (settings.hostKeys !== null && matchesPin(offered, settings.hostKeys)) return true;
    unmatchedKey = offered;
    return false;
  };

  const auth = authenticator(settings, privateKey);

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
      authHandler: auth.next,
      readyTimeout: budgetMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier,
      // The names come from ssh2's own lists (host-keys.ts, algorithms.ts); its types enumerate them.
      algorithms: {
        serverHostKey: hostKeyAlgorithmsFor(settings.hostKeys ?? [], excludedKeyTypes),
        ...ssh2Algorithms(settings.legacyAlgorithms),
      } as Algorithms,
      debug: (line: string) => {
        const offer = SERVER_OFFER_LINE.exec(line);
        // Pseudo-algorithms (kex-strict-…, ext-info-…) are signals, not choices.
        if (offer)
          serverOffer[OFFER_KIND[offer[1]]] = offer[2].split(',').filter((n) => !/^(kex-strict|ext-info)-/.test(n));
      },
    });
    client.removeListener('error', recordFailure);
    return { connection: { client, sftp, socket } };
  } catch (err) {
    socket.destroy();
    if (unmatchedKey) return { unmatchedKey };
    const reason = redact(settings, errorMessage(sshFailure ?? err));
    if (excludedKeyTypes.length > 0 && NO_COMMON_HOST_KEY.test(reason)) return { noOtherHostKey: true };
    if (sshFailure?.level === 'client-authentication') {
      return {
        refused: new ConnectionError(
          `authentication failed for ${settings.username}@${endpoint(settings)}: ${auth.describe()}`,
        ),
      };
    }
    if (timedOut) return { networkFailure: `no SFTP session within ${budgetMs} ms` };
    const missing = NO_COMMON_ALGORITHM.exec(reason);
    if (missing) {
      const kind: AlgorithmKind = missing[1].startsWith('key') ? 'kex' : missing[1].endsWith('MAC') ? 'hmac' : 'cipher';
      const advice = legacyAdvice(kind, serverOffer[kind] ?? []);
      return {
        refused: new ConnectionError(
          `cannot connect to ${endpoint(settings)}: ${reason}${advice ? `: ${advice}` : ''}`,
        ),
      };
    }
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

/**
 * The order SPEC §5.1 gives: the key, the password, then keyboard-interactive answering every prompt
 * with the password (managed SFTP services often allow only that). A method the server does not offer
 * is not tried. The first request is "none", whose refusal lists the methods the server offers.
 */
function authenticator(
  settings: Settings,
  privateKey: ParsedKey | undefined,
): { next: AuthHandlerMiddleware; describe(): string } {
  const ours: AuthMethod[] = [];
  if (privateKey) ours.push('publickey');
  if (settings.password !== undefined) ours.push('password', 'keyboard-interactive');
  const tried: AuthMethod[] = [];
  let offered: string[] | null = null;
  let askedNone = false;
  const username = settings.username;
  const password = settings.password ?? '';
  const next: AuthHandlerMiddleware = (methodsLeft, _partialSuccess, callback) => {
    if (methodsLeft) offered = methodsLeft;
    if (!askedNone) {
      askedNone = true;
      return callback({ type: 'none', username });
    }
    const method = ours.find((m) => !tried.includes(m) && (offered === null || offered.includes(m)));
    // ssh2 takes false as "give up"; its types do not say so.
    if (method === undefined) return callback(false as unknown as AuthenticationType);
    tried.push(method);
    if (method === 'publickey') return callback({ type: 'publickey', username, key: privateKey! });
    if (method === 'password') return callback({ type: 'password', username, password });
    return callback({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
  };
  return {
    next,
    describe: () => {
      const triedText = tried.length ? `tried ${tried.join(', ')}` : `tried none of ${ours.join(', ')}`;
      return `${triedText}; the server offers ${offered?.join(', ') ?? 'no method it named'}`;
    },
  };
}

/** One handshake to see a host key, then hang up; null when the server holds no key of the types not yet seen. */
async function handshakeOnly(settings: Settings, excludedKeyTypes: readonly string[]): Promise<OfferedHostKey | null> {
  const outcome = await connectOnce(settings, undefined, settings.connectTimeoutMs, excludedKeyTypes);
  if ('unmatchedKey' in outcome) return outcome.unmatchedKey;
  if ('noOtherHostKey' in outcome) return null;
  if ('connection' in outcome) {
    outcome.connection.socket.destroy();
    return null;
  }
  if ('refused' in outcome) throw outcome.refused;
  throw new ConnectionError(`cannot connect to ${endpoint(settings)}: ${outcome.networkFailure}`);
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

/**
 * One SSH connection, shared by the transport that opened it and every one lent on it: whichever closes
 * or loses it, it is gone for all.
 */
class Link {
  private closed = false;
  private ending: Promise<void> | undefined;
  /** Operations started and not yet settled. */
  pending = 0;

  constructor(readonly connection: Connection) {
    // 'end' too: once the server has hung up, nothing more can be asked of it.
    const markClosed = (): void => {
      this.closed = true;
    };
    connection.socket.once('end', markClosed).once('close', markClosed);
  }

  /** The server hung up or the socket was cut (a timeout cuts it at once, before 'close' is heard). */
  get lost(): boolean {
    return this.closed || this.connection.socket.destroyed;
  }

  get closing(): boolean {
    return this.closed || this.ending !== undefined;
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
}

class SftpTransport implements Transport {
  private readonly connection: Connection;

  /** `lent`: a loan of a connection another transport owns; its end() leaves a sound connection open. */
  constructor(
    private readonly link: Link,
    private readonly settings: Settings,
    private readonly lent = false,
  ) {
    this.connection = link.connection;
  }

  lend(deadline: number): Transport {
    return new SftpTransport(this.link, { ...this.settings, deadline }, true);
  }

  reusable(): boolean {
    return !this.link.lost && !this.link.closing && this.link.pending === 0;
  }

  list(dir: string, onSkipped?: (entry: SkippedEntry) => void): Promise<RemoteEntry[]> {
    return this.guarded('list', [dir], async (progress) => {
      const files: RemoteEntry[] = [];
      await this.eachFolderEntry(dir, progress, (entry) => {
        // The type is the first letter of the `ls -l` long name: p (FIFO), s, c, b are neither folder nor link.
        const type = entry.longname.charAt(0);
        if (type === '-')
          files.push({ name: entry.filename, size: entry.attrs.size, modifiedAt: entry.attrs.mtime * 1000 });
        else onSkipped?.({ name: entry.filename, kind: type === 'd' ? 'folder' : type === 'l' ? 'symlink' : 'other' });
      });
      return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /**
   * Every entry of a folder, a server's batch at a time, each batch counting as progress: a folder that
   * a year of files has grown takes long to list, but is never an idle server. Several batches are asked
   * for at once (a server answers the requests on one handle in order, draft-ietf-secsh-filexfer-02 §6.1,
   * and each request past the end with EOF), so the server reads the next while this one is taken in.
   * ssh2's own entries, not ssh2-sftp-client's list(): that builds a dozen fields per entry (owner, rights
   * parsed from the long name) which nothing reads, and cost seconds on a folder of 100,000 files.
   */
  private async eachFolderEntry(dir: string, progress: () => void, use: (entry: FileEntry) => void): Promise<void> {
    const sftp = this.connection.sftp;
    const handle = await sftpRequest<Buffer>((done) => sftp.opendir(dir, done));
    const readBatch = (): Promise<FileEntry[] | null> => {
      const batch = sftpRequest<FileEntry[] | null>((done) =>
        sftp.readdir(handle, (err, entries) =>
          (err as SshError | undefined)?.code === SFTP_EOF ? done(undefined, null) : done(err, entries),
        ),
      );
      // A request still in flight when the listing ends or fails is nobody's error.
      batch.catch(ignore);
      return batch;
    };
    const inFlight = Array.from({ length: READDIR_BATCHES_IN_FLIGHT }, readBatch);
    try {
      for (;;) {
        const batch = await inFlight.shift()!;
        if (batch === null) return;
        batch.forEach(use);
        // A batch of nothing but . and .. is no progress: a server sending empty batches forever times out.
        if (batch.length > 0) progress();
        inFlight.push(readBatch());
      }
    } finally {
      await Promise.allSettled(inFlight);
      await sftpRequest<void>((done) => sftp.close(handle, done)).catch(ignore);
    }
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
      for (const step of [first, close]) if (step.status === 'rejected') throw step.reason;
      const content = (first as PromiseFulfilledResult<Buffer>).value;
      progress();
      if (content.length === (await this.sizeAfterFstat(path, stats))) return content;
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
      await this.writeBuffer(path, await this.open(path, 'w'), data, progress);
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
      await this.writeBuffer(path, handle, data, progress);
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
      await this.connection.client.put(source, path, { writeStreamOptions: { mode: FILE_MODE } });
      progress();
      await this.verifySize(path, expected);
    });
  }

  writeMarker(path: string): Promise<void> {
    const marker = path + MARKER_SUFFIX;
    return this.guarded('writeMarker', [marker], async () => {
      // Open and close, nothing between: ssh2's writeFile (and the library's put) would send a write of
      // no bytes as well, one round trip more for every marker.
      const handle = await this.open(marker, 'w');
      await sftpRequest<void>((done) => this.connection.sftp.close(handle, done));
    });
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
    // An operation left unanswered (its caller gave up on it) would answer into the next step's requests.
    if (this.lent && this.link.pending === 0) return Promise.resolve();
    return this.link.end();
  }

  private open(path: string, flags: 'r' | 'w' | 'wx'): Promise<Buffer> {
    return sftpRequest<Buffer>((done) => this.connection.sftp.open(path, flags, { mode: FILE_MODE }, done));
  }

  /**
   * Writes `data` from the start of an open file, checks the file's size on the handle and closes it.
   * Straight on ssh2's SFTP session rather than through the library, whose calls share per-connection
   * state, so deliveries can overlap. Pieces go up one after another: a cut-off upload leaves a prefix
   * of the file, never a full-size file with a hole that a size check would accept.
   */
  private async writeBuffer(path: string, handle: Buffer, data: Buffer, progress: () => void): Promise<void> {
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
    for (const step of [write, close]) if (step.status === 'rejected') throw step.reason;
    const actual = await this.sizeAfterFstat(path, stats);
    if (actual !== data.length) throw new Error(`remote size after upload is ${actual} bytes, expected ${data.length}`);
  }

  /**
   * The size from an FSTAT on the open file, or — from a server that refuses FSTAT (it is optional to
   * some, and a hardened OpenSSH may deny it) — from a STAT of the path.
   */
  private async sizeAfterFstat(path: string, fstat: PromiseSettledResult<Stats>): Promise<number> {
    if (fstat.status === 'fulfilled') return fstat.value.size;
    if (typeof (fstat.reason as SshError).code !== 'number') throw fstat.reason;
    return (await sftpRequest<Stats>((done) => this.connection.sftp.stat(path, done))).size;
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
      if (this.link.closing) {
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

      this.link.pending++;
      work(progress).then(
        (value) => {
          this.link.pending--;
          disarm();
          resolve(value);
        },
        (err: unknown) => {
          this.link.pending--;
          disarm();
          // The library's wording for a dead connection ("Keepalive timeout", "read ECONNRESET")
          // does not say that the connection is what failed.
          const lost = this.link.lost ? 'connection lost: ' : '';
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
