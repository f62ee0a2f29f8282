import type { Knex } from 'knex';
import type { OutboxStatus } from './outbox.js';
import { DUE_DATE_COLUMNS, dueDateInputs, type DueDateInputs } from './due-dates.js';
import { toNullableString, toNumber } from './normalise.js';

export interface IncompleteOrder {
  orderNumber: string;
  createdAt: string;
  errors: { severity: string; message: string }[];
}

export interface UpdateAttention {
  id: number;
  flow: string;
  orderNumber: string | null;
  remoteName: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

export interface OpenStockError {
  partNumber: string;
  sku: string | null;
  message: string;
  createdAt: string;
}

/** A line still to be dispatched, with what its due date is made from. */
export interface OpenLine extends DueDateInputs {
  orderId: number;
  orderNumber: string;
  lineRef: string;
  partNumber: string;
  sku: string | null;
  /** Units neither shipped nor cancelled, sent or only recorded. */
  openQuantity: number;
}

/** An order and when it was received. */
export interface ReceivedOrder {
  orderNumber: string;
  receivedAt: string;
}

export interface RecordedUpdate {
  kind: string;
  orderNumber: string;
  recordedAt: string;
}

/** Orders whose lines can still be dispatched: acknowledged or about to be, not incomplete, not finished. */
const DISPATCHABLE_STATUSES = ['awaiting_ack', 'ready_to_ship', 'partially_shipped'];

/** Every outbox status but `sent`, named (not `<> 'sent'`) so the (account, status) index finds them. */
const UNSENT_OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'failed'];

/**
 * Read-only aggregates for `status`: the facts that answer "is everything flowing, and if not, why?"
 * across the tables the sync steps write.
 */
export class StatusRepo {
  constructor(private readonly db: Knex) {}

  /**
   * Narrows a query on `order_updates` to the account's unsent ones: unclaimed, or claimed by a file not
   * sent. As a list of ids found through the `order_updates.outbox_id` index (0012), which the planner
   * reads first, so the cost follows the unsent updates, not every update a year of shipping has sent
   * (with `outbox_id is null or outbox.status <> 'sent'` SQLite read every order of the account).
   */
  private unsentUpdatesOnly(accountId: number): (query: Knex.QueryBuilder) => void {
    const unsentFiles = this.db('outbox').where('account_id', accountId).whereIn('status', UNSENT_OUTBOX_STATUSES);
    const unsentIds = this.db('order_updates')
      .whereNull('outbox_id')
      .select('id')
      .unionAll(this.db('order_updates').whereIn('outbox_id', unsentFiles.select('id')).select('id'));
    return (query) => void query.whereIn('order_updates.id', unsentIds);
  }

  async ordersPerStatus(accountId: number): Promise<Record<string, number>> {
    const rows = (await this.db('orders')
      .select('status')
      .count({ n: '*' })
      .where({ account_id: accountId })
      .groupBy('status')
      .orderBy('status')) as { status: string; n: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.status, toNumber(r.n)]));
  }

  async incompleteOrders(accountId: number, limit = 20): Promise<IncompleteOrder[]> {
    const orders = await this.db('orders')
      .where({ account_id: accountId, status: 'incomplete' })
      .orderBy('id', 'desc')
      .limit(limit);
    const errors = await this.db('order_errors')
      .whereIn(
        'order_id',
        orders.map((o) => o.id),
      )
      .orderBy('id');
    return orders.map((o) => ({
      orderNumber: String(o.order_number),
      createdAt: String(o.created_at),
      errors: errors
        .filter((e) => e.order_id === o.id)
        .map((e) => ({ severity: String(e.severity), message: String(e.message) })),
    }));
  }

  /** Outgoing files not yet sent: pending ones (waiting or retrying) and failed ones (need a person). */
  async unsentUpdates(accountId: number): Promise<UpdateAttention[]> {
    const rows = await this.db('outbox')
      .leftJoin('orders', 'orders.id', 'outbox.order_id')
      .where('outbox.account_id', accountId)
      .whereIn('outbox.status', ['pending', 'failed'])
      // A failed inventory file needs no one once a later one went out: each is a snapshot of the stock.
      .whereNotExists(function laterInventorySent() {
        this.select('*')
          .from('outbox as later')
          .whereRaw(
            "outbox.flow = 'StockUpdate' and later.account_id = outbox.account_id and later.flow = 'StockUpdate' and later.status = 'sent' and later.id > outbox.id",
          );
      })
      .orderBy('outbox.id')
      .select('outbox.*', 'orders.order_number');
    return rows.map((r) => ({
      id: toNumber(r.id),
      flow: String(r.flow),
      orderNumber: toNullableString(r.order_number),
      remoteName: String(r.remote_name),
      status: String(r.status),
      attempts: toNumber(r.attempts),
      lastError: toNullableString(r.last_error),
      createdAt: String(r.created_at),
    }));
  }

  /** Recorded shipments, cancellations and refunds that no file has claimed yet. */
  async recordedUnsent(accountId: number): Promise<Record<string, number>> {
    const rows = (await this.db('order_updates')
      .join('orders', 'orders.id', 'order_updates.order_id')
      .where('orders.account_id', accountId)
      .whereNull('order_updates.outbox_id')
      .select('order_updates.kind')
      .count({ n: '*' })
      .groupBy('order_updates.kind')) as { kind: string; n: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.kind, toNumber(r.n)]));
  }

  /**
   * Lines of the account's dispatchable orders with units neither shipped nor cancelled, in order and line
   * order. A shipment or cancellation recorded but not sent yet counts: the units have left (or will not),
   * and the unsent update is watched on its own. Only open orders are read (through the (account, status)
   * index), so the cost follows the open work, not the order history.
   */
  async openLines(accountId: number): Promise<OpenLine[]> {
    const recorded = this.db('order_update_lines')
      .join('order_updates', 'order_updates.id', 'order_update_lines.update_id')
      .whereIn('order_updates.kind', ['shipment', 'cancellation'])
      .where(this.unsentUpdatesOnly(accountId))
      .groupBy('order_update_lines.line_id')
      .select('order_update_lines.line_id')
      .sum({ units: 'order_update_lines.quantity' })
      .as('recorded');
    const open =
      'order_lines.quantity - order_lines.shipped_quantity - order_lines.cancelled_quantity - coalesce(recorded.units, 0)';
    const rows = await this.db('orders')
      .join('order_lines', 'order_lines.order_id', 'orders.id')
      .leftJoin('products', 'products.id', 'order_lines.product_id')
      .leftJoin(recorded, 'recorded.line_id', 'order_lines.id')
      .where('orders.account_id', accountId)
      .whereIn('orders.status', DISPATCHABLE_STATUSES)
      .whereRaw(`${open} > 0`)
      .orderBy(['orders.id', 'order_lines.position'])
      .select(
        'orders.id as order_id',
        'orders.order_number',
        'order_lines.line_ref',
        'order_lines.part_number',
        'products.sku',
        this.db.raw(`${open} as open_quantity`),
        ...DUE_DATE_COLUMNS,
      );
    return rows.map((row) => ({
      orderId: toNumber(row.order_id),
      orderNumber: String(row.order_number),
      lineRef: String(row.line_ref),
      partNumber: String(row.part_number),
      sku: toNullableString(row.sku),
      openQuantity: toNumber(row.open_quantity),
      ...dueDateInputs(row),
    }));
  }

  /** Orders received before `receivedBefore` and still awaiting their acknowledgement, oldest first. */
  async awaitingAckSince(accountId: number, receivedBefore: string): Promise<ReceivedOrder[]> {
    const rows = await this.db('orders')
      .where({ account_id: accountId, status: 'awaiting_ack' })
      .where('created_at', '<', receivedBefore)
      .orderBy('created_at')
      .select('order_number', 'created_at');
    return rows.map((row) => ({ orderNumber: String(row.order_number), receivedAt: String(row.created_at) }));
  }

  /** Shipments, cancellations and refunds recorded before `recordedBefore` whose file is not sent, oldest first. */
  async updatesUnsentSince(accountId: number, recordedBefore: string): Promise<RecordedUpdate[]> {
    const rows = await this.db('order_updates')
      .join('orders', 'orders.id', 'order_updates.order_id')
      .where('orders.account_id', accountId)
      .where('order_updates.created_at', '<', recordedBefore)
      .where(this.unsentUpdatesOnly(accountId))
      .orderBy('order_updates.id')
      .select('order_updates.kind', 'orders.order_number', 'order_updates.created_at');
    return rows.map((row) => ({
      kind: String(row.kind),
      orderNumber: String(row.order_number),
      recordedAt: String(row.created_at),
    }));
  }

  /** Every open stock error: `openStockErrors` lists only the newest few. */
  async countOpenStockErrors(accountId: number): Promise<number> {
    const [row] = (await this.db('stock_errors')
      .where({ account_id: accountId })
      .whereNull('cleared_at')
      .count({ n: '*' })) as { n: unknown }[];
    return toNumber(row?.n ?? 0);
  }

  /** The order received first among the account's orders in one of `statuses`; null when there is none. */
  async oldestOrderIn(accountId: number, statuses: readonly string[]): Promise<ReceivedOrder | null> {
    const row = await this.db('orders')
      .where({ account_id: accountId })
      .whereIn('status', statuses)
      .orderBy(['created_at', 'id'])
      .first('order_number', 'created_at');
    return row ? { orderNumber: String(row.order_number), receivedAt: String(row.created_at) } : null;
  }

  async openStockErrors(accountId: number, limit = 50): Promise<OpenStockError[]> {
    const rows = await this.db('stock_errors')
      .leftJoin('products', 'products.id', 'stock_errors.product_id')
      .where('stock_errors.account_id', accountId)
      .whereNull('stock_errors.cleared_at')
      .orderBy('stock_errors.id', 'desc')
      .limit(limit)
      .select('stock_errors.part_number', 'stock_errors.message', 'stock_errors.created_at', 'products.sku');
    return rows.map((r) => ({
      partNumber: String(r.part_number),
      sku: toNullableString(r.sku),
      message: String(r.message),
      createdAt: String(r.created_at),
    }));
  }

  /** Rejected or duplicate inbound files (bad order files kept raw), newest first. */
  async rejectedFiles(
    accountId: number,
    limit = 20,
  ): Promise<{ remoteName: string; status: string; error: string | null; receivedAt: string }[]> {
    const rows = await this.db('inbound_files')
      .where({ account_id: accountId })
      .whereIn('status', ['rejected', 'duplicate'])
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map((r) => ({
      remoteName: String(r.remote_name),
      status: String(r.status),
      error: toNullableString(r.error),
      receivedAt: String(r.received_at),
    }));
  }

  /** Old raw copies and run-log rows go; orders, their lines and unsent updates never do. */
  async prune(cutoff: string): Promise<{ rawCopies: number; sentContents: number; runs: number }> {
    const rawCopies = await this.db('inbound_files')
      .where('received_at', '<', cutoff)
      .whereNotNull('raw')
      .update({ raw: null });
    const sentContents = await this.db('outbox')
      .where({ status: 'sent' })
      .where('sent_at', '<', cutoff)
      .whereNotNull('content')
      .update({ content: null });
    const runs = await this.db('runs').where('started_at', '<', cutoff).delete();
    return { rawCopies: toNumber(rawCopies), sentContents: toNumber(sentContents), runs: toNumber(runs) };
  }

  /** SQLite keeps freed pages inside the file; VACUUM gives them back so the file really shrinks. */
  async compact(dialect: 'sqlite' | 'postgres'): Promise<void> {
    await this.db.raw(dialect === 'sqlite' ? 'VACUUM' : 'VACUUM ANALYZE');
  }
}
