import type { Knex } from 'knex';
import type { Dialect } from '../connection.js';
import { toNullableString, toNumber } from './normalise.js';
import { queryRows } from './statements.js';

/**
 * The inbound half of the exchange log (SPEC §6.1): one row per file read from The Edge, raw bytes kept.
 * A file is known by (account, remote name, content hash); its row is written in the same transaction
 * as whatever the file produced, so a re-read after a crash is recognised and skipped.
 */
/** The Edge's folders, and the warehouse inboxes of SPEC §5.8 (`import-shipments|import-products --from`). */
export type InboundFlow =
  'OrderDownload' | 'StockUpdateError' | 'WarehouseShipments' | 'WarehouseProducts' | 'CancellationRequest';
export type InboundStatus = 'processed' | 'rejected' | 'duplicate';

/** What to do with the remote file once its row is committed: move it into a folder, or delete it. */
export type RemoteDisposal = { kind: 'archive'; dir: string } | { kind: 'delete' };

export interface InboundFile {
  id: number;
  accountId: number;
  flow: InboundFlow;
  remoteDir: string;
  remoteName: string;
  size: number;
  sha256: string;
  status: InboundStatus;
  error: string | null;
  /** Set while the move/delete of the remote file is still to be done (retried every run until done). */
  pendingDisposal: RemoteDisposal | null;
  receivedAt: string;
  processedAt: string | null;
}

export interface NewInboundFile {
  accountId: number;
  flow: InboundFlow;
  remoteDir: string;
  remoteName: string;
  raw: Buffer;
  sha256: string;
  status: InboundStatus;
  error: string | null;
  /** Recorded as pending in the same transaction, completed after the commit. */
  disposal: RemoteDisposal | null;
  now: string;
}

/** A file already in the log, found by the cheap (name, size) key that a listing gives without reading. */
export interface KnownInboundFile {
  id: number;
  remoteName: string;
  size: number;
  /** 'pending' or 'done' once a disposal was asked for; null when the file was left in place. */
  disposalState: 'pending' | 'done' | null;
}

const DISPOSAL_PENDING = 'pending';
const DISPOSAL_DONE = 'done';
/** `disposal_target` of a pending delete; an archive stores its folder (always an absolute path). */
const DELETE_TARGET = 'delete';

function disposalColumns(disposal: RemoteDisposal | null): {
  remote_disposal: string | null;
  disposal_target: string | null;
} {
  if (disposal === null) return { remote_disposal: null, disposal_target: null };
  return {
    remote_disposal: DISPOSAL_PENDING,
    disposal_target: disposal.kind === 'delete' ? DELETE_TARGET : disposal.dir,
  };
}

function inboundRow(file: NewInboundFile): Record<string, unknown> {
  return {
    account_id: file.accountId,
    flow: file.flow,
    remote_dir: file.remoteDir,
    remote_name: file.remoteName,
    size: file.raw.length,
    sha256: file.sha256,
    raw: file.raw,
    status: file.status,
    error: file.error,
    ...disposalColumns(file.disposal),
    received_at: file.now,
    processed_at: file.now,
  };
}

/** Every column but the raw bytes. */
const SUMMARY_COLUMNS = [
  'id',
  'account_id',
  'flow',
  'remote_dir',
  'remote_name',
  'size',
  'sha256',
  'status',
  'error',
  'remote_disposal',
  'disposal_target',
  'received_at',
  'processed_at',
];

/** Logged files found by name: what a run needs per listed file, answered from memory. */
export class KnownInboundFiles {
  private readonly byName = new Map<string, KnownInboundFile[]>();

  constructor(files: KnownInboundFile[]) {
    for (const file of files) {
      const same = this.byName.get(file.remoteName);
      if (same) same.push(file);
      else this.byName.set(file.remoteName, [file]);
    }
  }

  /** True when some logged file has this name, whatever its content. */
  hasName(name: string): boolean {
    return this.byName.has(name);
  }

  /** The logged file of this name and size: the listing's cheap sign that a file was read already. */
  find(name: string, size: number): KnownInboundFile | undefined {
    return this.byName.get(name)?.find((file) => file.size === size);
  }
}

export class InboundRepo {
  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
  ) {}

  async insert(file: NewInboundFile): Promise<number> {
    const [row] = await this.db('inbound_files').insert(inboundRow(file)).returning('id');
    return toNumber(typeof row === 'object' ? row.id : row);
  }

  /** `insert` for files of distinct names, `batchSize` rows per statement: their ids by remote name. */
  async insertMany(files: NewInboundFile[], batchSize: number): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let start = 0; start < files.length; start += batchSize) {
      const rows = await this.db('inbound_files')
        .insert(files.slice(start, start + batchSize).map(inboundRow))
        .returning(['id', 'remote_name']);
      for (const row of rows as { id: unknown; remote_name: string }[]) ids.set(row.remote_name, toNumber(row.id));
    }
    return ids;
  }

  /** True when this exact file (name and content) is already in the log. */
  async exists(accountId: number, remoteName: string, sha256: string): Promise<boolean> {
    const row = await this.db('inbound_files')
      .where({ account_id: accountId, remote_name: remoteName, sha256 })
      .first('id');
    return row !== undefined;
  }

  /**
   * The logged files of a flow among `names` (a folder listing), in one query however long the listing:
   * lets a run skip the files it has seen without reading them again. Several rows may share a name (the
   * same name with other content); each is kept. The names travel as one array (a JSON text on SQLite),
   * since a statement with thousands of bound values costs more to compile than to run.
   */
  async knownByName(accountId: number, flow: InboundFlow, names: string[]): Promise<KnownInboundFiles> {
    if (names.length === 0) return new KnownInboundFiles([]);
    const among = this.dialect === 'sqlite' ? 'in (select value from json_each(?))' : '= any(?::text[])';
    const rows = await queryRows(
      this.db,
      this.dialect,
      `select id, remote_name, size, remote_disposal from inbound_files
       where account_id = ? and flow = ? and remote_name ${among}`,
      [accountId, flow, this.dialect === 'sqlite' ? JSON.stringify(names) : names],
    );
    return new KnownInboundFiles(
      rows.map(([id, remoteName, size, disposal]) => ({
        id: toNumber(id),
        remoteName: String(remoteName),
        size: toNumber(size),
        disposalState: (disposal as KnownInboundFile['disposalState']) ?? null,
      })),
    );
  }

  /** Ask for the remote file of an already logged row to be moved or deleted (a run with --archive-to/--delete). */
  async requestDisposal(id: number, disposal: RemoteDisposal): Promise<void> {
    await this.db('inbound_files').where({ id }).whereNull('remote_disposal').update(disposalColumns(disposal));
  }

  async listPendingDisposals(accountId: number, flow: InboundFlow): Promise<InboundFile[]> {
    const rows = await this.db('inbound_files')
      .where({ account_id: accountId, flow, remote_disposal: DISPOSAL_PENDING })
      .orderBy('id')
      .select(SUMMARY_COLUMNS);
    return rows.map(fromRow);
  }

  async markDisposalDone(id: number): Promise<void> {
    await this.db('inbound_files').where({ id }).update({ remote_disposal: DISPOSAL_DONE });
  }

  /** Warehouse files rejected from an inbox that no person has marked handled yet, oldest first. */
  async unhandledInboxRejections(accountId: number): Promise<InboundFile[]> {
    const rows = await this.db('inbound_files')
      .where({ account_id: accountId, status: 'rejected' })
      .whereIn('flow', INBOX_FLOWS)
      .whereNull('handled_at')
      .orderBy('id')
      .select(SUMMARY_COLUMNS);
    return rows.map(fromRow);
  }

  /** Marks the account's unhandled rejected inbox files of that name handled; returns how many. */
  async markInboxRejectionHandled(accountId: number, remoteName: string, reason: string, now: string): Promise<number> {
    return this.db('inbound_files')
      .where({ account_id: accountId, status: 'rejected', remote_name: remoteName })
      .whereIn('flow', INBOX_FLOWS)
      .whereNull('handled_at')
      .update({ handled_at: now, handled_reason: reason });
  }
}

/** The warehouse inboxes of SPEC §5.8, as opposed to The Edge's own folders. */
const INBOX_FLOWS: InboundFlow[] = ['WarehouseShipments', 'WarehouseProducts'];

function fromRow(row: Record<string, unknown>): InboundFile {
  let pendingDisposal: RemoteDisposal | null = null;
  if (row.remote_disposal === DISPOSAL_PENDING) {
    const target = String(row.disposal_target);
    pendingDisposal = target === DELETE_TARGET ? { kind: 'delete' } : { kind: 'archive', dir: target };
  }
  return {
    id: toNumber(row.id),
    accountId: toNumber(row.account_id),
    flow: row.flow as InboundFlow,
    remoteDir: String(row.remote_dir),
    remoteName: String(row.remote_name),
    size: toNumber(row.size),
    sha256: String(row.sha256),
    status: row.status as InboundStatus,
    error: toNullableString(row.error),
    pendingDisposal,
    receivedAt: String(row.received_at),
    processedAt: toNullableString(row.processed_at),
  };
}
