/**
 * The one interface every sync step uses to talk to The Edge. Two implementations: SFTP
 * (ssh2-sftp-client) and a local folder (`--local-root`). Paths are The Edge's absolute paths
 * (`/live/incoming/order-….txt`); file names coming from the remote side are validated with
 * `assertSafeRemoteName` before any local use. Await one operation before starting the next on the
 * same transport (ssh2-sftp-client 12 shares per-connection error state between concurrent calls),
 * except for the operations an outbox delivery uses — `size`, `write` of a buffer, `writeNew`,
 * `writeMarker`, `delete`, `isDir` — which may overlap: the outbox sender pipelines deliveries.
 */
export interface RemoteEntry {
  name: string;
  size: number;
  /** Milliseconds since the epoch. */
  modifiedAt: number;
}

/** A folder entry that `list` leaves out because it is not a regular file. */
export interface SkippedEntry {
  name: string;
  kind: 'folder' | 'symlink' | 'other';
}

export interface Transport {
  /**
   * Regular files in a folder (no sub-folders, no symbolic links), in name order; `onSkipped` hears of
   * every other entry, for callers that warn about them.
   */
  list(dir: string, onSkipped?: (entry: SkippedEntry) => void): Promise<RemoteEntry[]>;
  /** Size of a file, or null when it does not exist. */
  size(path: string): Promise<number | null>;
  /** Whole file contents. */
  read(path: string): Promise<Buffer>;
  /** Write a whole file under its final name in one streamed write, then check the remote size. */
  write(path: string, data: Buffer): Promise<void>;
  /**
   * Like `write`, for a file that should not exist yet: created exclusively, so an existing file is never
   * truncated. Resolves false, having changed nothing, when the server would not create it (a file of that
   * name exists, or the server gives no reason); the caller then looks at what is there.
   */
  writeNew(path: string, data: Buffer): Promise<boolean>;
  /** Same as `write`, streaming from a local file (large inventory files). */
  writeFromFile(path: string, localFile: string): Promise<void>;
  /** Create the empty `<path>.DONE` marker that tells The Edge `path` is complete. */
  writeMarker(path: string): Promise<void>;
  /** Rename; `overwrite` uses posix-rename where the server offers it (atomic replace). */
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  /** Delete a file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** True when the folder exists and can be listed. */
  isDir(path: string): Promise<boolean>;
  /** Create the folder (and its parents) unless it exists. */
  makeDir(path: string): Promise<void>;
  /** Close the connection; never hangs. */
  end(): Promise<void>;
  /**
   * The same connection under another whole-run deadline, for the next step of a `sync` (each step keeps
   * its own, SPEC §6.5). Its end() leaves the connection open unless it left an operation unanswered.
   */
  lend(deadline: number): Transport;
  /** False once the connection was closed, lost or cut by a timeout, or has an operation unanswered. */
  reusable(): boolean;
}

/** Remote names are never trusted as local paths. */
export function assertSafeRemoteName(name: string): void {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    throw new Error(`unsafe remote file name ${JSON.stringify(name)}`);
  }
}

/**
 * Paths handed to a transport are The Edge's absolute paths. `.`/`..` segments are refused so that
 * the local transport cannot leave its root and both transports accept exactly the same paths.
 */
export function assertSafeRemotePath(path: string): void {
  const segments = path.split('/').slice(1);
  if (!path.startsWith('/') || path.includes('\0') || segments.some((s) => s === '.' || s === '..')) {
    throw new Error(`unsafe remote path ${JSON.stringify(path)}: must be absolute, without . or .. segments`);
  }
}

export function joinRemote(dir: string, name: string): string {
  assertSafeRemoteName(name);
  return `${dir.replace(/\/+$/, '')}/${name}`;
}
