import type { Knex } from 'knex';
import type { Dialect } from '../connection.js';
import { columnReader, toBool, toNumber } from './normalise.js';
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

/** A remote file as a folder listing gives it: the cheap (name, size) key that recognises a logged file. */
export interface ListedFile {
  name: string;
  size: number;
}

/** A listed file the log does not hold under its name and size. */
export interface UnloggedFile {
  name: string;
  /** The log holds the name with other content: its hash tells whether this content was read already. */
  nameLogged: boolean;
}

export interface LoggedFile {
  id: number;
  name: string;
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
   * The files of a folder listing that the log of `flow` does not hold under the same name and size —
   * the only ones a run needs to read — in listing order. A run lists a folder that keeps every file
   * ever sent (remote files are left in place), so the whole listing goes to the database as one value
   * in one query, and each file already logged costs an index look-up there and nothing here.
   */
  async unlogged(accountId: number, flow: InboundFlow, listing: ListedFile[]): Promise<UnloggedFile[]> {
    if (listing.length === 0) return [];
    const rows = await queryRows(
      this.db,
      this.dialect,
      `select listed.position, exists (${this.loggedAs('listed.value', false)})
       from ${this.listedFiles()}
       where not exists (${this.loggedAs('listed.value', true)})
       order by listed.position`,
      // In the order of the placeholders in the text: the select list's, the listing's, the where clause's.
      [accountId, flow, this.listingValue(listing), accountId, flow],
    );
    return rows.map(([position, nameLogged]) => ({
      name: listing[toNumber(position) - this.firstPosition()]!.name,
      nameLogged: toBool(nameLogged),
    }));
  }

  /** The files of a folder listing logged under the same name and size whose remote file is to stay (no disposal asked yet). */
  async loggedNotDisposed(accountId: number, flow: InboundFlow, listing: ListedFile[]): Promise<LoggedFile[]> {
    if (listing.length === 0) return [];
    const rows = await queryRows(
      this.db,
      this.dialect,
      `select logged.id, logged.remote_name
       from ${this.listedFiles()}
       join inbound_files logged on logged.account_id = ? and logged.flow = ?
         and logged.remote_name = (listed.value ->> 0) and logged.size = ${this.listedSize('listed.value')}
       where logged.remote_disposal is null
       order by listed.position, logged.id`,
      [this.listingValue(listing), accountId, flow],
    );
    return rows.map(([id, name]) => ({ id: toNumber(id), name: String(name) }));
  }

  /** The listing as one bound value: a JSON array of `[name, size]`. */
  private listingValue(listing: ListedFile[]): string {
    return JSON.stringify(listing.map((file) => [file.name, file.size]));
  }

  /**
   * The listing as rows `listed(value, position)`; SQLite numbers them from 0, PostgreSQL from 1. SQLite's
   * `jsonb_each` hands each `[name, size]` over parsed, where `json_each` would parse it again for each
   * of the two values read (measured on 50,000 files: 79 ms against 160 ms).
   */
  private listedFiles(): string {
    return this.dialect === 'sqlite'
      ? '(select value, key as position from jsonb_each(?)) listed'
      : 'jsonb_array_elements(?::jsonb) with ordinality as listed(value, position)';
  }

  private firstPosition(): number {
    return this.dialect === 'sqlite' ? 0 : 1;
  }

  private listedSize(value: string): string {
    return this.dialect === 'sqlite' ? `(${value} ->> 1)` : `(${value} ->> 1)::bigint`;
  }

  /** A row of the log holding a listed file: by name, or by name and size. */
  private loggedAs(value: string, sameSize: boolean): string {
    return `select 1 from inbound_files logged where logged.account_id = ? and logged.flow = ?
        and logged.remote_name = (${value} ->> 0)${sameSize ? ` and logged.size = ${this.listedSize(value)}` : ''}`;
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

const readInbound = columnReader({
  number: ['id', 'accountId', 'size'],
  string: ['remoteDir', 'remoteName', 'sha256', 'receivedAt'],
  nullableString: ['error', 'processedAt'],
});

function fromRow(row: Record<string, unknown>): InboundFile {
  let pendingDisposal: RemoteDisposal | null = null;
  if (row.remote_disposal === DISPOSAL_PENDING) {
    const target = String(row.disposal_target);
    pendingDisposal = target === DELETE_TARGET ? { kind: 'delete' } : { kind: 'archive', dir: target };
  }
  return { ...readInbound(row), flow: row.flow as InboundFlow, status: row.status as InboundStatus, pendingDisposal };
}
