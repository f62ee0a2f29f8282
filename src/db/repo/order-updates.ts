import type { Knex } from 'knex';
import { deriveStatus, type UpdateKind } from '../../core/order-rules.js';
import type { OrderStatus } from './orders.js';
import type { OutboxStatus } from './outbox.js';
import { columnReader, toBool, toNumber } from './normalise.js';

/**
 * Shipments, pre-shipment cancellations and refunds recorded by people and scripts (SPEC §3, §5.4), and
 * their life after that: a send step claims an order's unsent updates of one kind into one outbox file
 * (`order_updates.outbox_id`), and when that file and its marker are on the server the units are added to
 * the order's lines and the order's status follows.
 *
 * An update is "unsent" while its file is not sent: unclaimed (`outbox_id` null), claimed by a pending
 * file (in flight), or claimed by a failed one (its attempts ran out; `updates retry` sends the same file
 * again). Unsent units count against new requests in all three cases.
 */
export interface NewOrderUpdate {
  orderId: number;
  kind: UpdateKind;
  carrier?: string | null;
  trackingNumber?: string | null;
  trackingUrl?: string | null;
  /** yyyy-mm-dd */
  dispatchDate?: string | null;
  /** yyyy-mm-dd, computed when recorded so a later change of lead time never rewrites a shipment. */
  deliveryDate?: string | null;
  reason?: string | null;
  /** A refund's amount as given (validated as whole units of the line's price). */
  amount?: string | null;
  lines: { lineId: number; quantity: number }[];
  now: string;
}

export interface OrderUpdateLine {
  lineId: number;
  lineRef: string;
  partNumber: string;
  position: number;
  quantity: number;
}

export interface OrderUpdate {
  id: number;
  orderId: number;
  kind: UpdateKind;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  dispatchDate: string | null;
  deliveryDate: string | null;
  reason: string | null;
  amount: string | null;
  /** The file that carries (or carried) it; null while no send step has claimed it. */
  outboxId: number | null;
  outboxStatus: OutboxStatus | null;
  remoteDir: string | null;
  remoteName: string | null;
  createdAt: string;
  /** In the order's line order. */
  lines: OrderUpdateLine[];
}

/** Units recorded but not sent, per order line id. */
export type UnsentUnits = Map<number, Record<UpdateKind, number>>;

/** Orders with unclaimed updates of one kind, split by whether a file may be built for them now. */
export interface OrdersToSend {
  ready: number[];
  /** The acknowledgement is not sent yet (SPEC §3: nothing before it). */
  awaitingAcknowledgement: number[];
  /** Another file for the order is pending (SPEC §3: one update in flight per order). */
  inFlight: number[];
}

const SENT_QUANTITY_COLUMN: Record<UpdateKind, string> = {
  shipment: 'shipped_quantity',
  cancellation: 'cancelled_quantity',
  refund: 'refunded_quantity',
};

export class OrderUpdatesRepo {
  constructor(private readonly db: Knex) {}

  /**
   * Serialises everything that reads an order's quantities and then writes an update for it (recording,
   * claiming): the first write of the transaction takes SQLite's write lock (PostgreSQL: the row lock)
   * before anything is read, so two writers can never both pass a check that only one of them may pass.
   */
  async lockOrder(orderId: number, now: string): Promise<void> {
    await this.db('orders').where({ id: orderId }).update({ updated_at: now });
  }

  async insert(update: NewOrderUpdate): Promise<number> {
    const [row] = await this.db('order_updates')
      .insert({
        order_id: update.orderId,
        kind: update.kind,
        carrier: update.carrier ?? null,
        tracking_number: update.trackingNumber ?? null,
        tracking_url: update.trackingUrl ?? null,
        dispatch_date: update.dispatchDate ?? null,
        delivery_date: update.deliveryDate ?? null,
        reason: update.reason ?? null,
        amount: update.amount ?? null,
        created_at: update.now,
      })
      .returning('id');
    const updateId = toNumber(typeof row === 'object' ? row.id : row);
    // One row per order line at most; an order has few lines, far below any batch limit.
    await this.db('order_update_lines').insert(
      update.lines.map((line) => ({ update_id: updateId, line_id: line.lineId, quantity: line.quantity })),
    );
    return updateId;
  }

  async unsentUnits(orderId: number): Promise<UnsentUnits> {
    const rows = (await this.db('order_update_lines')
      .join('order_updates', 'order_updates.id', 'order_update_lines.update_id')
      .leftJoin('outbox', 'outbox.id', 'order_updates.outbox_id')
      .where('order_updates.order_id', orderId)
      // A knex builder is a thenable: `void` says the callback builds the clause and returns nothing to await.
      .where((unsent) => void unsent.whereNull('order_updates.outbox_id').orWhereNot('outbox.status', 'sent'))
      .groupBy('order_update_lines.line_id', 'order_updates.kind')
      .select('order_update_lines.line_id', 'order_updates.kind')
      .sum({ units: 'order_update_lines.quantity' })) as { line_id: unknown; kind: string; units: unknown }[];
    const units: UnsentUnits = new Map();
    for (const row of rows) {
      const lineId = toNumber(row.line_id);
      const perKind = units.get(lineId) ?? { shipment: 0, cancellation: 0, refund: 0 };
      perKind[row.kind as UpdateKind] += toNumber(row.units);
      units.set(lineId, perKind);
    }
    return units;
  }

  /** Every update of an order, oldest first, with the state of its file. */
  async listForOrder(orderId: number): Promise<OrderUpdate[]> {
    return this.list((query) => query.where('order_updates.order_id', orderId));
  }

  /** An order's updates of one kind that no file has claimed yet, oldest first. */
  async listUnclaimed(orderId: number, kind: UpdateKind): Promise<OrderUpdate[]> {
    return this.list((query) =>
      query
        .where({ 'order_updates.order_id': orderId, 'order_updates.kind': kind })
        .whereNull('order_updates.outbox_id'),
    );
  }

  async ordersToSend(accountId: number, kind: UpdateKind): Promise<OrdersToSend> {
    const rows = await this.db('orders')
      .where('orders.account_id', accountId)
      .whereExists(
        this.db('order_updates')
          .whereRaw('order_updates.order_id = orders.id')
          .where('order_updates.kind', kind)
          .whereNull('order_updates.outbox_id'),
      )
      .select('orders.id', 'orders.acknowledged_at')
      .select(
        this.db.raw(
          `exists (select 1 from outbox where outbox.order_id = orders.id and outbox.status = 'pending') as in_flight`,
        ),
      )
      .orderBy('orders.id');
    const result: OrdersToSend = { ready: [], awaitingAcknowledgement: [], inFlight: [] };
    for (const row of rows) {
      const id = toNumber(row.id);
      if (row.acknowledged_at === null) result.awaitingAcknowledgement.push(id);
      else if (toBool(row.in_flight)) result.inFlight.push(id);
      else result.ready.push(id);
    }
    return result;
  }

  /** True while a file for the order is pending; read inside the claiming transaction, after `lockOrder`. */
  async hasFileInFlight(orderId: number): Promise<boolean> {
    const row = await this.db('outbox').where({ order_id: orderId, status: 'pending' }).first('id');
    return row !== undefined;
  }

  /** Ties updates to the file that carries them; only unclaimed ones, so the count tells whether all were. */
  async claim(updateIds: number[], outboxId: number): Promise<number> {
    const changed = await this.db('order_updates')
      .whereIn('id', updateIds)
      .whereNull('outbox_id')
      .update({ outbox_id: outboxId });
    return toNumber(changed);
  }

  /**
   * The file `outboxId` and its marker are on the server: its units join the lines' sent quantities and
   * the order's status follows (SPEC §3). Call it in the transaction that marks the outbox row sent
   * (only a row that really changed to sent, so the units are added once).
   */
  async recordSent(outboxId: number, now: string): Promise<void> {
    const updates = await this.list((query) => query.where('order_updates.outbox_id', outboxId));
    if (updates.length === 0) return;
    for (const update of updates) {
      const column = SENT_QUANTITY_COLUMN[update.kind];
      for (const line of update.lines) {
        await this.db('order_lines').where({ id: line.lineId }).increment(column, line.quantity);
      }
    }
    const orderId = updates[0].orderId;
    const order = await this.db('orders').where({ id: orderId }).first('status');
    const lines = await this.db('order_lines')
      .where({ order_id: orderId })
      .select('quantity', 'shipped_quantity', 'cancelled_quantity');
    const status = deriveStatus(
      order.status as OrderStatus,
      lines.map((line) => ({
        quantity: toNumber(line.quantity),
        shipped: toNumber(line.shipped_quantity),
        cancelled: toNumber(line.cancelled_quantity),
      })),
    );
    await this.db('orders').where({ id: orderId }).update({ status, updated_at: now });
  }

  private async list(narrow: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<OrderUpdate[]> {
    const rows: Record<string, unknown>[] = await narrow(
      this.db('order_updates')
        .leftJoin('outbox', 'outbox.id', 'order_updates.outbox_id')
        .select('order_updates.*', 'outbox.status as outbox_status', 'outbox.remote_dir', 'outbox.remote_name'),
    ).orderBy('order_updates.id');
    const updates = rows.map(updateFromRow);
    if (updates.length === 0) return updates;
    const byId = new Map(updates.map((update) => [update.id, update]));
    const lines = await this.db('order_update_lines')
      .join('order_lines', 'order_lines.id', 'order_update_lines.line_id')
      .whereIn('order_update_lines.update_id', [...byId.keys()])
      .select(
        'order_update_lines.update_id',
        'order_update_lines.line_id',
        'order_update_lines.quantity',
        'order_lines.line_ref',
        'order_lines.part_number',
        'order_lines.position',
      )
      .orderBy(['order_update_lines.update_id', 'order_lines.position']);
    for (const row of lines) {
      byId.get(toNumber(row.update_id))!.lines.push(readUpdateLine(row));
    }
    return updates;
  }
}

const readUpdateLine = columnReader({ number: ['lineId', 'position', 'quantity'], string: ['lineRef', 'partNumber'] });

const readUpdate = columnReader({
  number: ['id', 'orderId'],
  string: ['createdAt'],
  nullableNumber: ['outboxId'],
  nullableString: [
    'carrier',
    'trackingNumber',
    'trackingUrl',
    'dispatchDate',
    'deliveryDate',
    'reason',
    'amount',
    'remoteDir',
    'remoteName',
  ],
});

function updateFromRow(row: Record<string, unknown>): OrderUpdate {
  return {
    ...readUpdate(row),
    kind: row.kind as UpdateKind,
    outboxStatus: (row.outbox_status as OutboxStatus | null) ?? null,
    lines: [],
  };
}
