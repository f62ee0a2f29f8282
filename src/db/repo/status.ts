import type { Knex } from 'knex';
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

/**
 * Read-only aggregates for `status`: the facts that answer "is everything flowing, and if not, why?"
 * across the tables the sync steps write.
 */
export class StatusRepo {
  constructor(private readonly db: Knex) {}

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
