import type { Knex } from 'knex';
import type { PathLabel } from '../../core/account.js';
import { sha256Hex } from '../../core/hash.js';
import { columnReader, toNumber } from './normalise.js';

/**
 * The outbox (SPEC §6.2): every outgoing file is stored, rendered and under its final remote name, in the
 * same transaction that claims the business rows; it is then uploaded and marked sent. A row left
 * pending by a crash or a failed upload is sent again with the same name and bytes.
 */
export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** Upload attempts before a row stops being retried automatically and waits for a person (`failed`). */
export const MAX_ATTEMPTS = 5;

export interface OutboxRow {
  id: number;
  accountId: number;
  /** The path label the file is sent for (OrderAcknowledge, OrderShipment, …). */
  flow: PathLabel;
  orderId: number | null;
  /** The order's number, for messages; null for files that belong to no order (inventory). */
  orderNumber: string | null;
  remoteDir: string;
  remoteName: string;
  /** The exact bytes to send; null for files streamed from disk (large inventory files). */
  content: Buffer | null;
  size: number;
  sha256: string;
  /** Whether a `.DONE` marker follows the file (every flow but inventory). */
  marker: boolean;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  rowCount: number | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

/** An outbox row without its content, for listings. */
export type OutboxSummary = Omit<OutboxRow, 'content'>;

export interface NewOutboxFile {
  accountId: number;
  flow: PathLabel;
  orderId: number | null;
  remoteDir: string;
  remoteName: string;
  marker: boolean;
  rowCount?: number | null;
  now: string;
  /** The rendered file; or, for a file streamed from disk, null with the size and hash of what will be sent. */
  file: { content: Buffer } | { content: null; size: number; sha256: string };
}

const SUMMARY_COLUMNS = [
  'outbox.id',
  'outbox.account_id',
  'outbox.flow',
  'outbox.order_id',
  'orders.order_number',
  'outbox.remote_dir',
  'outbox.remote_name',
  'outbox.size',
  'outbox.sha256',
  'outbox.marker',
  'outbox.status',
  'outbox.attempts',
  'outbox.last_error',
  'outbox.row_count',
  'outbox.created_at',
  'outbox.updated_at',
  'outbox.sent_at',
];

export class OutboxRepo {
  constructor(private readonly db: Knex) {}

  /** Stores a file to send under its final name. Call it inside the transaction that claims the business rows. */
  async insertPending(file: NewOutboxFile): Promise<OutboxRow> {
    const [row] = await this.db('outbox').insert(pendingRow(file)).returning('id');
    return (await this.findById(toNumber(typeof row === 'object' ? row.id : row)))!;
  }

  /** `insertPending` for many files, `batchSize` rows per statement, when the caller needs no row back. */
  async insertPendingMany(files: NewOutboxFile[], batchSize: number): Promise<void> {
    for (let start = 0; start < files.length; start += batchSize) {
      await this.db('outbox').insert(files.slice(start, start + batchSize).map(pendingRow));
    }
  }

  async findById(id: number): Promise<OutboxRow | null> {
    const row = await this.select().select('outbox.content').where('outbox.id', id).first();
    return row ? fromRow(row) : null;
  }

  /** Pending rows of one flow, oldest first: the order they were claimed in is the order they are sent in. */
  async listPending(accountId: number, flow: PathLabel): Promise<OutboxRow[]> {
    const rows = await this.select()
      .where({ 'outbox.account_id': accountId, 'outbox.flow': flow, 'outbox.status': 'pending' })
      .select('outbox.content')
      .orderBy('outbox.id');
    return rows.map(fromRow);
  }

  /** Every file recorded for an order, oldest first (`orders show`). */
  async listByOrder(orderId: number): Promise<OutboxSummary[]> {
    return (await this.listByOrders([orderId], 1)).get(orderId) ?? [];
  }

  /** Files per order for many orders at once, `batchSize` ids per query. */
  async listByOrders(orderIds: number[], batchSize: number): Promise<Map<number, OutboxSummary[]>> {
    const byOrder = new Map<number, OutboxSummary[]>();
    for (let start = 0; start < orderIds.length; start += batchSize) {
      const rows = await this.select()
        .whereIn('outbox.order_id', orderIds.slice(start, start + batchSize))
        .orderBy('outbox.id');
      for (const row of rows) {
        const summary = fromRow(row);
        const list = byOrder.get(summary.orderId!) ?? [];
        list.push(summary);
        byOrder.set(summary.orderId!, list);
      }
    }
    return byOrder;
  }

  /**
   * Marks an upload done. Only a pending row changes (false otherwise), so a row a person marked failed
   * or re-queued meanwhile is never overwritten. Call it in the transaction that advances the business state.
   */
  async markSent(id: number, now: string): Promise<boolean> {
    const changed = await this.db('outbox').where({ id, status: 'pending' }).update(this.sentColumns(now));
    return toNumber(changed) === 1;
  }

  private sentColumns(now: string) {
    return { status: 'sent', attempts: this.db.raw('attempts + 1'), sent_at: now, updated_at: now, last_error: null };
  }

  /**
   * `markSent` for many rows in one statement per `batchSize` ids: the ids that were still pending and
   * are now sent. Call it in the transaction that advances the business state of exactly those rows.
   */
  async markSentMany(ids: number[], now: string, batchSize: number): Promise<number[]> {
    const changed: number[] = [];
    for (let start = 0; start < ids.length; start += batchSize) {
      const rows = await this.db('outbox')
        .whereIn('id', ids.slice(start, start + batchSize))
        .where('status', 'pending')
        .update(this.sentColumns(now))
        .returning('id');
      for (const row of rows as ({ id: unknown } | number)[])
        changed.push(toNumber(typeof row === 'object' ? row.id : row));
    }
    return changed;
  }

  /** Counts a failed upload (`attempts` counts every upload tried); the row stays pending for the next run, or becomes `failed` after MAX_ATTEMPTS. */
  async recordFailedAttempt(id: number, error: string, now: string): Promise<OutboxRow> {
    await this.db('outbox')
      .where({ id, status: 'pending' })
      .update({
        attempts: this.db.raw('attempts + 1'),
        status: this.db.raw(`case when attempts + 1 >= ? then 'failed' else 'pending' end`, [MAX_ATTEMPTS]),
        last_error: error,
        updated_at: now,
      });
    return (await this.findById(id))!;
  }

  /**
   * Ends a pending row for good after one failed upload, for a file that is never retried under its name:
   * push-stock's inventory file is a snapshot, and the next run sends a fresh one. (Added by push-stock.)
   */
  async markFailed(id: number, error: string, now: string): Promise<void> {
    await this.db('outbox')
      .where({ id, status: 'pending' })
      .update({ attempts: this.db.raw('attempts + 1'), status: 'failed', last_error: error, updated_at: now });
  }

  /** The outgoing exchange log, newest first (`updates list`). */
  async list(filter: {
    accountId?: number;
    status?: OutboxStatus;
    orderNumber?: string;
    limit: number;
  }): Promise<OutboxSummary[]> {
    const query = this.select().orderBy('outbox.id', 'desc').limit(filter.limit);
    if (filter.accountId !== undefined) query.where('outbox.account_id', filter.accountId);
    if (filter.status) query.where('outbox.status', filter.status);
    if (filter.orderNumber) query.where('orders.order_number', filter.orderNumber);
    return (await query).map(fromRow);
  }

  /** `updates retry`: a failed file goes back to pending with a fresh attempt budget, same name and bytes. */
  async requeue(id: number, now: string): Promise<boolean> {
    const changed = await this.db('outbox')
      .where({ id, status: 'failed' })
      .update({ status: 'pending', attempts: 0, updated_at: now });
    return toNumber(changed) === 1;
  }

  /** `updates resend`: a sent file was uploaded again; the row keeps its name, bytes and status. */
  async recordResend(id: number, now: string): Promise<void> {
    await this.db('outbox')
      .where({ id })
      .update({ attempts: this.db.raw('attempts + 1'), sent_at: now, updated_at: now });
  }

  /**
   * The greatest remote name of this account and folder that starts with `prefix` and ends with `suffix`
   * (`order-` … `.ack`): file-name tokens are fixed-width, so it carries the latest token used.
   */
  async lastRemoteName(accountId: number, remoteDir: string, prefix: string, suffix: string): Promise<string | null> {
    const row = await this.db('outbox')
      .where({ account_id: accountId, remote_dir: remoteDir })
      .whereRaw(`remote_name like ? escape '\\'`, [`${escapeLike(prefix)}%${escapeLike(suffix)}`])
      .max('remote_name as name')
      .first();
    return (row?.name as string | null | undefined) ?? null;
  }

  private select(): Knex.QueryBuilder {
    return this.db('outbox').leftJoin('orders', 'orders.id', 'outbox.order_id').select(SUMMARY_COLUMNS);
  }
}

function pendingRow(file: NewOutboxFile): Record<string, unknown> {
  const { content } = file.file;
  return {
    account_id: file.accountId,
    flow: file.flow,
    order_id: file.orderId,
    remote_dir: file.remoteDir,
    remote_name: file.remoteName,
    content,
    size: content ? content.length : file.file.size,
    sha256: content ? sha256Hex(content) : file.file.sha256,
    marker: file.marker,
    status: 'pending',
    attempts: 0,
    row_count: file.rowCount ?? null,
    created_at: file.now,
    updated_at: file.now,
  };
}

/** `%` and `_` are wildcards in LIKE; file names are matched literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

const readOutbox = columnReader({
  number: ['id', 'accountId', 'size', 'attempts'],
  string: ['remoteDir', 'remoteName', 'sha256', 'createdAt', 'updatedAt'],
  nullableNumber: ['orderId', 'rowCount'],
  nullableString: ['orderNumber', 'lastError', 'sentAt'],
  boolean: ['marker'],
});

function fromRow(row: Record<string, unknown>): OutboxRow {
  return {
    ...readOutbox(row),
    flow: row.flow as PathLabel,
    status: row.status as OutboxStatus,
    content: (row.content as Buffer | null | undefined) ?? null,
  };
}
