import type { Knex } from 'knex';
import { columnReader, parseJson, toNullableString, toNumber } from './normalise.js';

/** SPEC §3: the order life cycle. */
export const ORDER_STATUSES = [
  'awaiting_ack',
  'incomplete',
  'ready_to_ship',
  'partially_shipped',
  'shipped',
  'cancelled',
  'dismissed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** `high`: the order is incomplete and never acknowledged; `low`: worth a look, the order goes on. */
export type OrderErrorSeverity = 'high' | 'low';

export interface NewOrderLine {
  position: number;
  lineRef: string;
  partNumber: string;
  /** The product whose channel item id is the part number; null when the account has none. */
  productId: number | null;
  quantity: number;
  unitPrice: string | null;
  /** Every item column of the file, as written. */
  fields: Record<string, string>;
}

export interface NewOrder {
  accountId: number;
  orderNumber: string;
  status: Extract<OrderStatus, 'awaiting_ack' | 'incomplete'>;
  inboundFileId: number;
  testFlag: string | null;
  orderDate: string | null;
  /** Every order-section column of the file, as written. */
  fields: Record<string, string>;
  lines: NewOrderLine[];
  errors: { severity: OrderErrorSeverity; message: string }[];
  now: string;
}

export interface OrderLine {
  id: number;
  position: number;
  lineRef: string;
  partNumber: string;
  productId: number | null;
  /** The matched product's SKU (null when the part number matched no product). */
  sku: string | null;
  quantity: number;
  shippedQuantity: number;
  cancelledQuantity: number;
  refundedQuantity: number;
  unitPrice: string | null;
  fields: Record<string, string>;
}

export interface OrderError {
  id: number;
  severity: OrderErrorSeverity;
  message: string;
  createdAt: string;
}

export interface Order {
  id: number;
  accountId: number;
  accountName: string;
  orderNumber: string;
  status: OrderStatus;
  testFlag: string | null;
  orderDate: string | null;
  inboundFileId: number | null;
  /** The remote name of the file the order came from. */
  inboundFileName: string | null;
  fields: Record<string, string>;
  acknowledgedAt: string | null;
  createdAt: string;
  updatedAt: string;
  lines: OrderLine[];
  errors: OrderError[];
}

/** An order as its acknowledgement needs it (`listToAcknowledge`). */
export interface OrderToAcknowledge {
  id: number;
  orderNumber: string;
  lines: Pick<OrderLine, 'lineRef' | 'partNumber' | 'quantity'>[];
}

export interface OrderHistoryEvent {
  event: 'replaced' | 'dismissed';
  /** replaced: the file that was replaced. */
  file: string | null;
  /** replaced: the replaced file's errors, one per line; dismissed: the reason given. */
  detail: string;
  createdAt: string;
}

export interface OrderFilter {
  accountId?: number;
  status?: OrderStatus;
  orderNumber?: string;
  /** Only orders with an open customer cancellation request (SPEC §3 `cancel_requested`). */
  cancelRequested?: boolean;
  /** Only orders received at or after this instant (ISO-8601 UTC, as `created_at` is stored). */
  receivedSince?: string;
}

export class OrdersRepo {
  constructor(private readonly db: Knex) {}

  /** Stores an order with its lines and errors; call it in the transaction that logs its file. */
  async insert(order: NewOrder, batchSize: number): Promise<number> {
    const [row] = await this.db('orders').insert(orderRow(order)).returning('id');
    const orderId = toNumber(typeof row === 'object' ? row.id : row);
    await this.insertLinesAndErrors([{ orderId, order }], batchSize);
    return orderId;
  }

  /** `insert` for orders of distinct numbers, `batchSize` rows per statement. */
  async insertMany(orders: NewOrder[], batchSize: number): Promise<void> {
    const byNumber = new Map(orders.map((order) => [order.orderNumber, order]));
    const stored: { orderId: number; order: NewOrder }[] = [];
    for (let start = 0; start < orders.length; start += batchSize) {
      const rows = await this.db('orders')
        .insert(orders.slice(start, start + batchSize).map(orderRow))
        .returning(['id', 'order_number']);
      for (const row of rows as { id: unknown; order_number: string }[])
        stored.push({ orderId: toNumber(row.id), order: byNumber.get(row.order_number)! });
    }
    await this.insertLinesAndErrors(stored, batchSize);
  }

  /**
   * SPEC §3: a corrected file for an order still incomplete replaces its lines, errors and file; the
   * replaced file and its errors stay in the order's history. Call it in the transaction that logs the
   * new file. False when the order is no longer incomplete (another run got there first).
   */
  async replaceIncomplete(orderId: number, order: NewOrder, batchSize: number): Promise<boolean> {
    const current = await this.db('orders').where({ id: orderId, status: 'incomplete' }).first();
    if (!current) return false;
    const oldErrors = await this.db('order_errors').where({ order_id: orderId }).orderBy('id');
    await this.db('order_history').insert({
      order_id: orderId,
      event: 'replaced',
      inbound_file_id: current.inbound_file_id,
      detail: oldErrors.map((e) => `${String(e.severity)}: ${String(e.message)}`).join('\n'),
      created_at: order.now,
    });
    await this.db('order_lines').where({ order_id: orderId }).delete();
    await this.db('order_errors').where({ order_id: orderId }).delete();
    const { account_id: _account, order_number: _number, created_at: _created, ...changed } = orderRow(order);
    await this.db('orders').where({ id: orderId }).update(changed);
    await this.insertLinesAndErrors([{ orderId, order }], batchSize);
    return true;
  }

  /** Closes an incomplete order a person dealt with outside the tool; false when it is not incomplete. */
  async dismiss(orderId: number, reason: string, now: string): Promise<boolean> {
    const changed = await this.db('orders')
      .where({ id: orderId, status: 'incomplete' })
      .update({ status: 'dismissed', updated_at: now });
    if (toNumber(changed) === 0) return false;
    await this.db('order_history').insert({
      order_id: orderId,
      event: 'dismissed',
      inbound_file_id: null,
      detail: reason,
      created_at: now,
    });
    return true;
  }

  async history(orderId: number): Promise<OrderHistoryEvent[]> {
    const rows = await this.db('order_history')
      .leftJoin('inbound_files', 'inbound_files.id', 'order_history.inbound_file_id')
      .where('order_history.order_id', orderId)
      .orderBy('order_history.id')
      .select('order_history.*', 'inbound_files.remote_name');
    return rows.map((row) => ({
      event: row.event as OrderHistoryEvent['event'],
      file: toNullableString(row.remote_name),
      detail: String(row.detail),
      createdAt: String(row.created_at),
    }));
  }

  private async insertLinesAndErrors(orders: { orderId: number; order: NewOrder }[], batchSize: number): Promise<void> {
    const lines = orders.flatMap(({ orderId, order }) =>
      order.lines.map((line) => ({
        order_id: orderId,
        position: line.position,
        line_ref: line.lineRef,
        part_number: line.partNumber,
        product_id: line.productId,
        quantity: line.quantity,
        unit_price: line.unitPrice,
        fields: JSON.stringify(line.fields),
      })),
    );
    const errors = orders.flatMap(({ orderId, order }) =>
      order.errors.map((error) => ({
        order_id: orderId,
        severity: error.severity,
        message: error.message,
        created_at: order.now,
      })),
    );
    for (const [table, rows] of [
      ['order_lines', lines],
      ['order_errors', errors],
    ] as const) {
      for (let start = 0; start < rows.length; start += batchSize) {
        await this.db(table).insert(rows.slice(start, start + batchSize));
      }
    }
  }

  /** The stored orders among `orderNumbers` (`batchSize` per query), by number, with the file each came from. */
  async findStoredMany(
    accountId: number,
    orderNumbers: string[],
    batchSize: number,
  ): Promise<Map<string, { id: number; status: OrderStatus; inboundFileName: string | null }>> {
    const found = new Map<string, { id: number; status: OrderStatus; inboundFileName: string | null }>();
    const unique = [...new Set(orderNumbers)];
    for (let start = 0; start < unique.length; start += batchSize) {
      const rows = await this.db('orders')
        .leftJoin('inbound_files', 'inbound_files.id', 'orders.inbound_file_id')
        .where('orders.account_id', accountId)
        .whereIn('orders.order_number', unique.slice(start, start + batchSize))
        .select('orders.id', 'orders.order_number', 'orders.status', 'inbound_files.remote_name');
      for (const row of rows) {
        found.set(String(row.order_number), {
          id: toNumber(row.id),
          status: row.status as OrderStatus,
          inboundFileName: toNullableString(row.remote_name),
        });
      }
    }
    return found;
  }

  /** Product ids by channel item id, for matching order lines (SPEC §4.2: part_number → channel_item_id). */
  async productIdsByChannelItemId(
    accountId: number,
    channelItemIds: string[],
    batchSize: number,
  ): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const unique = [...new Set(channelItemIds)];
    for (let start = 0; start < unique.length; start += batchSize) {
      const rows = await this.db('products')
        .where({ account_id: accountId })
        .whereIn('channel_item_id', unique.slice(start, start + batchSize))
        .select('id', 'channel_item_id');
      for (const row of rows) found.set(String(row.channel_item_id), toNumber(row.id));
    }
    return found;
  }

  /**
   * `awaiting_ack` orders that may get their acknowledgement now: none has been stored for them yet
   * (a pending one is finished by the sender, a failed one waits for a person), and no other update is
   * in flight (SPEC §3: at most one per order).
   */
  async listToAcknowledge(accountId: number): Promise<OrderToAcknowledge[]> {
    // Only what an acknowledgement holds, in one query: every column of every order and line (their
    // fields parsed from JSON) made up most of ack-orders' database time.
    const rows: Record<string, unknown>[] = await this.db('orders')
      .leftJoin('order_lines', 'order_lines.order_id', 'orders.id')
      .where('orders.account_id', accountId)
      .where('orders.status', 'awaiting_ack')
      .whereNotExists(
        this.db('outbox')
          .whereRaw('outbox.order_id = orders.id')
          // A knex builder is a thenable: `void` says the callback builds the clause and returns nothing to await.
          .where(
            (inFlight) => void inFlight.where('outbox.status', 'pending').orWhere('outbox.flow', 'OrderAcknowledge'),
          ),
      )
      .select(
        'orders.id as order_id',
        'orders.order_number',
        'order_lines.line_ref',
        'order_lines.part_number',
        'order_lines.quantity',
      )
      .orderBy(['orders.id', 'order_lines.position']);
    const orders: OrderToAcknowledge[] = [];
    for (const row of rows) {
      const id = toNumber(row.order_id);
      if (orders.at(-1)?.id !== id) orders.push({ id, orderNumber: String(row.order_number), lines: [] });
      // An order without lines comes back once, with no line.
      if (row.line_ref !== null)
        orders.at(-1)!.lines.push({
          lineRef: String(row.line_ref),
          partNumber: String(row.part_number),
          quantity: toNumber(row.quantity),
        });
    }
    return orders;
  }

  /** The acknowledgements were sent: `awaiting_ack` → `ready_to_ship` (orders no longer awaiting one are left as they are). */
  async markAcknowledgedMany(orderIds: number[], now: string, batchSize: number): Promise<void> {
    for (let start = 0; start < orderIds.length; start += batchSize) {
      await this.db('orders')
        .whereIn('id', orderIds.slice(start, start + batchSize))
        .where('status', 'awaiting_ack')
        .update({ status: 'ready_to_ship', acknowledged_at: now, updated_at: now });
    }
  }

  /** Orders with their lines and errors, oldest first; with `limit`, the oldest `limit` of them. */
  async list(
    filter: OrderFilter,
    batchSize: number,
    narrow?: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
    limit?: number,
  ): Promise<Order[]> {
    const select = (matchNumber: (query: Knex.QueryBuilder, orderNumber: string) => void) => {
      let query = this.matching(filter)
        .join('accounts', 'accounts.id', 'orders.account_id')
        .leftJoin('inbound_files', 'inbound_files.id', 'orders.inbound_file_id')
        .select('orders.*', 'accounts.name as account_name', 'inbound_files.remote_name as inbound_file_name')
        .orderBy('orders.id');
      if (filter.orderNumber) matchNumber(query, filter.orderNumber);
      if (limit !== undefined) query.limit(limit);
      if (narrow) query = narrow(query);
      return query;
    };
    let rows: Record<string, unknown>[] = await select(
      (query, number) => void query.where('orders.order_number', number),
    );
    // An order number typed by a person matches without regard to case; the exact match (indexed) first.
    if (rows.length === 0 && filter.orderNumber)
      rows = await select(
        (query, number) => void query.whereRaw('lower(orders.order_number) = ?', [number.toLowerCase()]),
      );
    const orders = rows.map(orderFromRow);
    const byId = new Map(orders.map((order) => [order.id, order]));
    const ids = [...byId.keys()];
    for (let start = 0; start < ids.length; start += batchSize) {
      const chunk = ids.slice(start, start + batchSize);
      const lines = await this.db('order_lines')
        .leftJoin('products', 'products.id', 'order_lines.product_id')
        .whereIn('order_lines.order_id', chunk)
        .select('order_lines.*', 'products.sku')
        .orderBy(['order_lines.order_id', 'order_lines.position']);
      for (const row of lines) byId.get(toNumber(row.order_id))!.lines.push(lineFromRow(row));
      const errors = await this.db('order_errors').whereIn('order_id', chunk).orderBy('id');
      for (const row of errors) byId.get(toNumber(row.order_id))!.errors.push(errorFromRow(row));
    }
    return orders;
  }

  /** How many orders `list` would give without a limit (an order number is matched exactly). */
  async count(filter: OrderFilter): Promise<number> {
    const query = this.matching(filter);
    if (filter.orderNumber) query.where('orders.order_number', filter.orderNumber);
    const [row] = await query.count({ n: '*' });
    return toNumber(row?.n ?? 0);
  }

  /** The orders of `filter`, its order number aside (matched by the caller). */
  private matching(filter: OrderFilter): Knex.QueryBuilder {
    const query = this.db('orders');
    if (filter.accountId !== undefined) query.where('orders.account_id', filter.accountId);
    if (filter.status) query.where('orders.status', filter.status);
    if (filter.receivedSince !== undefined) query.where('orders.created_at', '>=', filter.receivedSince);
    if (filter.cancelRequested)
      query.whereExists(
        this.db('cancel_requests')
          .whereRaw('cancel_requests.order_id = orders.id')
          .where('cancel_requests.status', 'requested'),
      );
    return query;
  }
}

function orderRow(order: NewOrder): Record<string, unknown> {
  return {
    account_id: order.accountId,
    order_number: order.orderNumber,
    status: order.status,
    inbound_file_id: order.inboundFileId,
    test_flag: order.testFlag,
    order_date: order.orderDate,
    fields: JSON.stringify(order.fields),
    created_at: order.now,
    updated_at: order.now,
  };
}

const readOrder = columnReader({
  number: ['id', 'accountId'],
  string: ['accountName', 'orderNumber', 'createdAt', 'updatedAt'],
  nullableNumber: ['inboundFileId'],
  nullableString: ['testFlag', 'orderDate', 'inboundFileName', 'acknowledgedAt'],
});

function orderFromRow(row: Record<string, unknown>): Order {
  return {
    ...readOrder(row),
    status: row.status as OrderStatus,
    fields: parseJson(row.fields, {}),
    lines: [],
    errors: [],
  };
}

const readLine = columnReader({
  number: ['id', 'position', 'quantity', 'shippedQuantity', 'cancelledQuantity', 'refundedQuantity'],
  string: ['lineRef', 'partNumber'],
  nullableNumber: ['productId'],
  nullableString: ['sku', 'unitPrice'],
});

function lineFromRow(row: Record<string, unknown>): OrderLine {
  return { ...readLine(row), fields: parseJson(row.fields, {}) };
}

function errorFromRow(row: Record<string, unknown>): OrderError {
  return {
    id: toNumber(row.id),
    severity: row.severity as OrderErrorSeverity,
    message: String(row.message),
    createdAt: String(row.created_at),
  };
}
