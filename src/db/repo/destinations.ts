import type { Knex } from 'knex';
import { columnReader, toNullableNumber, toNullableString, toNumber } from './normalise.js';
import type { Order, OrdersRepo } from './orders.js';
import type { SftpEndpoint } from '../../core/account-settings.js';
import { sha256Hex } from '../../core/hash.js';

/**
 * The warehouse side (SPEC §5.8): destinations, and the files written to them. A file is stored with its
 * final name and bytes in the transaction that claims its orders (one `destination_file_items` row per
 * order or cancellation, unique per destination), then written, then marked written; a run that stops in
 * between writes the same name and bytes again.
 */
export interface DestinationSettings extends SftpEndpoint {
  accountId: number | null;
  transport: 'local' | 'sftp';
  dir: string | null;
  path: string | null;
  inbox: string | null;
}

export interface Destination extends DestinationSettings {
  id: number;
  name: string;
  /** The account it is tied to; null when every account's orders go there. */
  accountName: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DestinationFileKind = 'orders' | 'cancellations';

export interface DestinationFile {
  id: number;
  destinationId: number;
  accountId: number;
  kind: DestinationFileKind;
  fileName: string;
  content: Buffer;
  size: number;
  sha256: string;
  rowCount: number;
  status: 'pending' | 'written';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  writtenAt: string | null;
}

export interface NewDestinationFile {
  destinationId: number;
  accountId: number;
  kind: DestinationFileKind;
  fileName: string;
  content: Buffer;
  rowCount: number;
  orderIds: number[];
  cancellations: { updateId: number; orderId: number }[];
  /** Cancellation requests (and their rejections) the file tells the warehouse about. */
  requests: { orderId: number; key: string }[];
  now: string;
}

/**
 * A customer's cancellation request the warehouse must hear about, one row per line it names: `requested`
 * (hold these units until an answer), or `request_rejected` (the hold is over: ship them). An accepted
 * request needs no row of its own: the cancellation it records goes out as any other.
 */
export interface RequestNotice extends WarehouseCancellationLine {
  /** What keeps it from being sent twice to one destination. */
  key: string;
  status: 'requested' | 'request_rejected';
  /** When the request arrived, or was rejected. */
  at: string;
}

/** An order line's units the warehouse must not ship (or hold), as its cancellations file names them. */
export interface WarehouseCancellationLine {
  orderId: number;
  orderNumber: string;
  lineRef: string;
  partNumber: string;
  sku: string | null;
  quantity: number;
  reason: string | null;
}

/** A recorded pre-shipment cancellation, one row per line it cancels. */
export interface CancellationLine extends WarehouseCancellationLine {
  updateId: number;
  createdAt: string;
}

/** Where an order went: for `orders show`. */
export interface OrderExport {
  destination: string;
  fileName: string;
  status: 'pending' | 'written';
  createdAt: string;
  writtenAt: string | null;
}

export interface DestinationActivity {
  destination: string;
  pending: number;
  failing: number;
  lastError: string | null;
  lastWrittenAt: string | null;
  lastFile: string | null;
}

/** Per inbox folder and flow, from the ledger of the files taken from it. */
export interface InboxActivity {
  flow: string;
  folder: string;
  lastFileAt: string;
  processed: number;
  failed: number;
}

const COLUMN: Record<keyof DestinationSettings, string> = {
  accountId: 'account_id',
  transport: 'transport',
  dir: 'dir',
  host: 'host',
  port: 'port',
  username: 'username',
  passwordEnv: 'password_env',
  privateKeyPath: 'private_key_path',
  hostKey: 'host_key',
  path: 'path',
  inbox: 'inbox',
};

/** Orders the warehouse may pick: acknowledged (SPEC §3: nothing before the acknowledgement) and not finished. */
const EXPORTABLE_STATUSES = ['ready_to_ship', 'partially_shipped'];

const orderKey = (orderId: number): string => `order:${orderId}`;
const cancellationKey = (updateId: number): string => `cancellation:${updateId}`;
const requestKey = (requestId: number, status: RequestNotice['status']): string => `${status}:${requestId}`;

export class DestinationsRepo {
  constructor(
    private readonly db: Knex,
    private readonly orders: OrdersRepo,
  ) {}

  async list(): Promise<Destination[]> {
    return (await this.select()).map(fromRow);
  }

  async findByName(name: string): Promise<Destination | null> {
    const [row] = await this.select().where('destinations.name', name);
    return row ? fromRow(row) : null;
  }

  /** Destinations that receive this account's orders: its own and those of every account. */
  async forAccount(accountId: number): Promise<Destination[]> {
    // A knex builder is a thenable: `void` says the callback builds the clause and returns nothing to await.
    const rows = await this.select().where(
      (q) => void q.whereNull('destinations.account_id').orWhere('destinations.account_id', accountId),
    );
    return rows.map(fromRow);
  }

  async insert(name: string, settings: DestinationSettings, now: string): Promise<void> {
    await this.db('destinations').insert({ name, ...toRow(settings), created_at: now, updated_at: now });
  }

  async update(name: string, settings: Partial<DestinationSettings>, now: string): Promise<void> {
    await this.db('destinations')
      .where({ name })
      .update({ ...toRow(settings), updated_at: now });
  }

  /** Removes a destination with the record of what it received. */
  async remove(name: string): Promise<boolean> {
    return toNumber(await this.db('destinations').where({ name }).delete()) > 0;
  }

  /** Acknowledged orders of the account that no file for this destination carries yet, oldest first. */
  exportableOrders(destinationId: number, accountId: number, batchSize: number): Promise<Order[]> {
    return this.orders.list({ accountId }, batchSize, (query) =>
      query.whereIn('orders.status', EXPORTABLE_STATUSES).whereNotExists(this.orderItems(destinationId)),
    );
  }

  /** Every recorded cancellation of these orders (sent to The Edge or not), for the quantities left to pick. */
  async cancellationsOf(orderIds: number[], batchSize: number): Promise<CancellationLine[]> {
    const found: CancellationLine[] = [];
    for (let start = 0; start < orderIds.length; start += batchSize) {
      found.push(
        ...(await this.cancellationLines((q) =>
          q.whereIn('order_updates.order_id', orderIds.slice(start, start + batchSize)),
        )),
      );
    }
    return found;
  }

  /** Cancellations recorded for orders this destination has received, that it has not been told about. */
  cancellationsToSend(destinationId: number, accountId: number): Promise<CancellationLine[]> {
    return this.cancellationLines((q) =>
      q
        .where('orders.account_id', accountId)
        .whereExists(this.orderItems(destinationId))
        .whereNotExists(
          this.db('destination_file_items')
            .where('destination_file_items.destination_id', destinationId)
            .whereRaw('destination_file_items.update_id = order_updates.id'),
        ),
    );
  }

  /** The items saying that the order of the outer query went to this destination. */
  private orderItems(destinationId: number): Knex.QueryBuilder {
    return this.db('destination_file_items')
      .where('destination_file_items.destination_id', destinationId)
      .whereRaw('destination_file_items.order_id = orders.id')
      .where('destination_file_items.item_key', 'like', 'order:%');
  }

  /**
   * Open requests of orders this destination has received and not yet heard of, and rejections of those it
   * has heard of, oldest first. Answered requests the warehouse never heard of need no row.
   */
  async requestNoticesToSend(destinationId: number, accountId: number): Promise<RequestNotice[]> {
    const rows: Record<string, unknown>[] = await this.db('cancel_requests')
      .join('orders', 'orders.id', 'cancel_requests.order_id')
      .join('cancel_request_lines', 'cancel_request_lines.request_id', 'cancel_requests.id')
      .join('order_lines', 'order_lines.id', 'cancel_request_lines.line_id')
      .leftJoin('products', 'products.id', 'order_lines.product_id')
      .where('orders.account_id', accountId)
      .whereIn('cancel_requests.status', ['requested', 'rejected'])
      .whereExists(this.orderItems(destinationId))
      .select(
        'cancel_requests.id as request_id',
        'cancel_requests.status',
        'cancel_requests.received_at',
        'cancel_requests.answered_at',
        'orders.id as order_id',
        'orders.order_number',
        'order_lines.line_ref',
        'order_lines.part_number',
        'products.sku',
        'cancel_request_lines.quantity',
        'cancel_request_lines.reason',
      )
      .orderBy(['cancel_requests.id', 'order_lines.position']);
    if (rows.length === 0) return [];
    const requestIds = [...new Set(rows.map((row) => toNumber(row.request_id)))];
    const candidateKeys = requestIds.flatMap((id) => [requestKey(id, 'requested'), requestKey(id, 'request_rejected')]);
    const sent = new Set<string>();
    for (let start = 0; start < candidateKeys.length; start += 500) {
      const found = await this.db('destination_file_items')
        .where('destination_id', destinationId)
        .whereIn('item_key', candidateKeys.slice(start, start + 500))
        .select('item_key');
      for (const row of found) sent.add(String(row.item_key));
    }
    return rows.flatMap((row): RequestNotice[] => {
      const id = toNumber(row.request_id);
      const rejected = row.status === 'rejected';
      // A rejection matters only to a warehouse that was told to hold the units.
      if (rejected ? !sent.has(requestKey(id, 'requested')) : false) return [];
      const status: RequestNotice['status'] = rejected ? 'request_rejected' : 'requested';
      const key = requestKey(id, status);
      if (sent.has(key)) return [];
      return [
        {
          key,
          ...warehouseLineFromRow(row),
          status,
          at: String(rejected ? row.answered_at : row.received_at),
        },
      ];
    });
  }

  private async cancellationLines(narrow: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<CancellationLine[]> {
    const rows: Record<string, unknown>[] = await narrow(
      this.db('order_updates')
        .join('orders', 'orders.id', 'order_updates.order_id')
        .join('order_update_lines', 'order_update_lines.update_id', 'order_updates.id')
        .join('order_lines', 'order_lines.id', 'order_update_lines.line_id')
        .leftJoin('products', 'products.id', 'order_lines.product_id')
        .where('order_updates.kind', 'cancellation')
        .select(
          'order_updates.id as update_id',
          'order_updates.order_id',
          'order_updates.reason',
          'order_updates.created_at',
          'orders.order_number',
          'order_lines.line_ref',
          'order_lines.part_number',
          'products.sku',
          'order_update_lines.quantity',
        ),
    ).orderBy(['order_updates.id', 'order_lines.position']);
    return rows.map((row) => ({
      updateId: toNumber(row.update_id),
      ...warehouseLineFromRow(row),
      createdAt: String(row.created_at),
    }));
  }

  /** Stores a file pending, with the orders and cancellations it carries; call it in the claiming transaction. */
  async insertFile(file: NewDestinationFile, batchSize: number): Promise<number> {
    const [row] = await this.db('destination_files')
      .insert({
        destination_id: file.destinationId,
        account_id: file.accountId,
        kind: file.kind,
        file_name: file.fileName,
        content: file.content,
        size: file.content.length,
        sha256: sha256Hex(file.content),
        row_count: file.rowCount,
        status: 'pending',
        created_at: file.now,
      })
      .returning('id');
    const fileId = toNumber(typeof row === 'object' ? row.id : row);
    const items = [
      ...file.orderIds.map((orderId) => ({ orderId, updateId: null, key: orderKey(orderId) })),
      ...file.cancellations.map(({ orderId, updateId }) => ({ orderId, updateId, key: cancellationKey(updateId) })),
      ...file.requests.map(({ orderId, key }) => ({ orderId, updateId: null, key })),
    ].map((item) => ({
      file_id: fileId,
      destination_id: file.destinationId,
      order_id: item.orderId,
      update_id: item.updateId,
      item_key: item.key,
    }));
    for (let start = 0; start < items.length; start += batchSize) {
      await this.db('destination_file_items').insert(items.slice(start, start + batchSize));
    }
    return fileId;
  }

  async pendingFiles(destinationId: number, accountId: number): Promise<DestinationFile[]> {
    const rows = await this.db('destination_files')
      .where({ destination_id: destinationId, account_id: accountId, status: 'pending' })
      .orderBy('id');
    return rows.map(fileFromRow);
  }

  /** The last file name with this prefix, so the next token sorts after it. */
  async lastFileName(destinationId: number, prefix: string): Promise<string | null> {
    const row = await this.db('destination_files')
      .where({ destination_id: destinationId })
      .where('file_name', 'like', `${prefix}%`)
      .orderBy('file_name', 'desc')
      .first('file_name');
    return row ? String(row.file_name) : null;
  }

  async markWritten(fileId: number, now: string): Promise<void> {
    await this.db('destination_files')
      .where({ id: fileId })
      .update({ status: 'written', written_at: now, last_error: null });
  }

  async recordFailure(fileId: number, error: string): Promise<void> {
    await this.db('destination_files').where({ id: fileId }).increment('attempts', 1).update({ last_error: error });
  }

  async exportsOfOrder(orderId: number): Promise<OrderExport[]> {
    const rows = await this.db('destination_file_items')
      .join('destination_files', 'destination_files.id', 'destination_file_items.file_id')
      .join('destinations', 'destinations.id', 'destination_file_items.destination_id')
      .where('destination_file_items.order_id', orderId)
      .select(
        'destinations.name',
        'destination_files.file_name',
        'destination_files.status',
        'destination_files.created_at',
        'destination_files.written_at',
      )
      .orderBy('destination_files.id');
    const seen = new Set<string>();
    const exports: OrderExport[] = [];
    for (const row of rows) {
      const key = `${row.name}/${row.file_name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      exports.push({
        destination: String(row.name),
        fileName: String(row.file_name),
        status: row.status as OrderExport['status'],
        createdAt: String(row.created_at),
        writtenAt: toNullableString(row.written_at),
      });
    }
    return exports;
  }

  /** Per destination: files waiting to be written, those of them that failed at least once, the last one written. */
  async activity(accountId: number): Promise<DestinationActivity[]> {
    const destinations = await this.forAccount(accountId);
    const result: DestinationActivity[] = [];
    for (const destination of destinations) {
      const files = this.db('destination_files').where({ destination_id: destination.id, account_id: accountId });
      const [counts] = await files
        .clone()
        .where('status', 'pending')
        .select(
          this.db.raw('count(*) as pending'),
          this.db.raw('sum(case when attempts > 0 then 1 else 0 end) as failing'),
          this.db.raw('max(last_error) as last_error'),
        );
      const last = await files
        .clone()
        .where('status', 'written')
        .orderBy('id', 'desc')
        .first('file_name', 'written_at');
      result.push({
        destination: destination.name,
        pending: toNumber(counts?.pending ?? 0),
        failing: toNullableNumber(counts?.failing) ?? 0,
        lastError: toNullableString(counts?.last_error),
        lastWrittenAt: last ? toNullableString(last.written_at) : null,
        lastFile: last ? String(last.file_name) : null,
      });
    }
    return result;
  }

  async inboxActivity(accountId: number): Promise<InboxActivity[]> {
    const rows: Record<string, unknown>[] = await this.db('inbound_files')
      .where('account_id', accountId)
      .whereIn('flow', ['WarehouseShipments', 'WarehouseProducts'])
      .groupBy('flow', 'remote_dir')
      .select(
        'flow',
        'remote_dir',
        this.db.raw('max(received_at) as last_file_at'),
        this.db.raw("sum(case when status = 'processed' then 1 else 0 end) as processed"),
        this.db.raw("sum(case when status = 'rejected' then 1 else 0 end) as failed"),
      )
      .orderBy(['flow', 'remote_dir']);
    return rows.map((row) => ({
      flow: String(row.flow),
      folder: String(row.remote_dir),
      lastFileAt: String(row.last_file_at),
      processed: toNumber(row.processed),
      failed: toNumber(row.failed),
    }));
  }

  private select(): Knex.QueryBuilder {
    return this.db('destinations')
      .leftJoin('accounts', 'accounts.id', 'destinations.account_id')
      .select('destinations.*', 'accounts.name as account_name')
      .orderBy('destinations.name');
  }
}

function toRow(settings: Partial<DestinationSettings>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings) as [keyof DestinationSettings, unknown][]) {
    if (value !== undefined) row[COLUMN[key]] = value;
  }
  return row;
}

const readDestination = columnReader({
  number: ['id', 'port'],
  string: ['name', 'createdAt', 'updatedAt'],
  nullableNumber: ['accountId'],
  nullableString: [
    'accountName',
    'dir',
    'host',
    'username',
    'passwordEnv',
    'privateKeyPath',
    'hostKey',
    'path',
    'inbox',
  ],
});

function fromRow(row: Record<string, unknown>): Destination {
  return { ...readDestination(row), transport: row.transport as Destination['transport'] };
}

const readFile = columnReader({
  number: ['id', 'destinationId', 'accountId', 'size', 'rowCount', 'attempts'],
  string: ['fileName', 'sha256', 'createdAt'],
  nullableString: ['lastError', 'writtenAt'],
});

function fileFromRow(row: Record<string, unknown>): DestinationFile {
  const content = row.content as Buffer;
  return {
    ...readFile(row),
    kind: row.kind as DestinationFileKind,
    status: row.status as DestinationFile['status'],
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  };
}

const warehouseLineFromRow: (row: Record<string, unknown>) => WarehouseCancellationLine = columnReader({
  number: ['orderId', 'quantity'],
  string: ['orderNumber', 'lineRef', 'partNumber'],
  nullableString: ['sku', 'reason'],
});
