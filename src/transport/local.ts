/**
 * Transport over a local folder (`--local-root`): a sandbox, tests without a server, and sellers who
 * mount the exchange folders. It behaves like the OpenSSH server on purpose — files are written under
 * their final name (a crash leaves a partial file, as over SFTP), a plain rename refuses to replace
 * an existing file — so the sync steps are exercised against the same behaviour they meet in production.
 */
import {
  chmod,
  copyFile,
  link,
  mkdir,
  open,
  opendir,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TransferError, errorMessage } from '../core/errors.js';
import { MARKER_SUFFIX } from '../formats/marker.js';
import { assertSafeRemotePath, type RemoteEntry, type SkippedEntry, type Transport } from './transport.js';

export function openLocalTransport(root: string): Transport {
  return new LocalTransport(resolve(root));
}

class LocalTransport implements Transport {
  constructor(private readonly root: string) {}

  list(dir: string, onSkipped?: (entry: SkippedEntry) => void): Promise<RemoteEntry[]> {
    return this.guarded('list', [dir], async ([folder]) => {
      const entries = await readdir(folder, { withFileTypes: true });
      for (const entry of entries) {
        if (entry.isFile()) continue;
        const kind = entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'symlink' : 'other';
        onSkipped?.({ name: entry.name, kind });
      }
      const files = await Promise.all(
        entries
          .filter((entry) => entry.isFile())
          .map(async (entry): Promise<RemoteEntry | null> => {
            try {
              const info = await stat(join(folder, entry.name));
              return { name: entry.name, size: info.size, modifiedAt: info.mtimeMs };
            } catch (err) {
              // Taken away between readdir and stat (The Edge collects files concurrently).
              if (isMissing(err)) return null;
              throw err;
            }
          }),
      );
      return files
        .filter((file): file is RemoteEntry => file !== null)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  size(path: string): Promise<number | null> {
    return this.guarded('size', [path], async ([file]) => {
      try {
        return (await stat(file)).size;
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    });
  }

  read(path: string): Promise<Buffer> {
    return this.guarded('read', [path], ([file]) => readFile(file));
  }

  write(path: string, data: Buffer): Promise<void> {
    return this.guarded('write', [path], async ([file]) => {
      // On disk before anyone renames it into place: a mounted folder survives our crash, not a lost page cache.
      const handle = await open(file, 'w');
      try {
        await handle.writeFile(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await verifySize(file, data.length);
    });
  }

  writeNew(path: string, data: Buffer): Promise<boolean> {
    return this.guarded('write', [path], async ([file]) => {
      try {
        await writeFile(file, data, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
      await verifySize(file, data.length);
      return true;
    });
  }

  writeFromFile(path: string, localFile: string): Promise<void> {
    return this.guarded('write', [path], async ([file]) => {
      let expected: number;
      try {
        expected = (await stat(localFile)).size;
      } catch (err) {
        throw new Error(`cannot read local file ${localFile}: ${(err as NodeJS.ErrnoException).code}`);
      }
      await copyFile(localFile, file);
      // copyFile keeps the source's owner-only mode; the exchange folder's other readers need the usual one.
      await chmod(file, 0o644);
      await verifySize(file, expected);
    });
  }

  writeMarker(path: string): Promise<void> {
    return this.guarded('writeMarker', [path + MARKER_SUFFIX], async ([marker]) => {
      await writeFile(marker, Buffer.alloc(0));
    });
  }

  rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    return this.guarded('rename', [from, to], async ([source, target]) => {
      if (options.overwrite) {
        await rename(source, target);
        return;
      }
      // link + unlink is how OpenSSH's sftp-server renames: it fails atomically if the target exists.
      await link(source, target);
      await unlink(source);
    });
  }

  delete(path: string): Promise<void> {
    return this.guarded('delete', [path], async ([file]) => {
      try {
        await unlink(file);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    });
  }

  isDir(path: string): Promise<boolean> {
    return this.guarded('isDir', [path], async ([folder]) => {
      try {
        await (await opendir(folder)).close();
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return false;
        throw err;
      }
    });
  }

  makeDir(path: string): Promise<void> {
    return this.guarded('makeDir', [path], async ([folder]) => {
      await mkdir(folder, { recursive: true });
    });
  }

  async end(): Promise<void> {}

  /** A folder has no connection to lose and no deadline of its own. */
  lend(): Transport {
    return this;
  }

  reusable(): boolean {
    return true;
  }

  /** Maps remote paths into the root and turns every failure into a TransferError naming the remote path. */
  private async guarded<T>(
    operation: string,
    remotePaths: string[],
    work: (localPaths: string[]) => Promise<T>,
  ): Promise<T> {
    const subject = `${operation} ${remotePaths.join(' -> ')}`;
    let localPaths: string[];
    try {
      localPaths = remotePaths.map((remotePath) => this.localPath(remotePath));
    } catch (err) {
      throw new TransferError(`${subject}: ${errorMessage(err)}`);
    }
    try {
      return await work(localPaths);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TransferError(`${subject}: ${code ? describeErrno(code) : errorMessage(err)}`);
    }
  }

  private localPath(remotePath: string): string {
    assertSafeRemotePath(remotePath);
    return join(this.root, remotePath);
  }
}

async function verifySize(file: string, expected: number): Promise<void> {
  const actual = (await stat(file)).size;
  if (actual !== expected) throw new Error(`size after write is ${actual} bytes, expected ${expected}`);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Words rather than the local absolute path Node puts in its messages: errors name remote paths. */
function describeErrno(code: string): string {
  const words: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EEXIST: 'target already exists',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'not a folder',
    EISDIR: 'is a folder',
    ENOSPC: 'no space left on device',
  };
  return `${words[code] ?? 'failed'} (${code})`;
}
