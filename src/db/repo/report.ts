import type { Knex } from 'knex';
import { DUE_DATE_COLUMNS, dueDateInputs, type DueDateInputs } from './due-dates.js';
import { toNullableString, toNumber } from './normalise.js';

/** An order received in the report's window, with the times and updates its figures are made from. */
export interface ReportOrder {
  orderNumber: string;
  receivedAt: string;
  acknowledgedAt: string | null;
  /** When its first shipment was recorded; null: not dispatched. */
  firstShipmentAt: string | null;
  cancellations: number;
  refunds: number;
}

/** One line a shipment carried, with what the line's due date is made from. */
export interface ReportShipmentLine extends DueDateInputs {
  shipmentId: number;
  orderNumber: string;
  dispatchDate: string | null;
  recordedAt: string;
}

/**
 * Events counted per UTC hour (`yyyy-mm-ddThh`): London days are whole hours apart from UTC ones, so the
 * caller folds hours into London calendar days exactly while the database does the counting.
 */
export interface HourCount {
  hour: string;
  count: number;
}

/** Read-only queries behind `jl-edge report` (SPEC §5.9): everything is since an ISO time, per account. */
export class ReportRepo {
  constructor(private readonly db: Knex) {}

  async ordersReceivedSince(accountId: number, since: string): Promise<ReportOrder[]> {
    // The kinds are constants of the schema, not input: written into the SQL, they need no binding.
    const ofOrder = (aggregate: string, kind: string, name: string) =>
      this.db.raw(
        `(select ${aggregate} from order_updates where order_updates.order_id = orders.id and order_updates.kind = '${kind}') as ${name}`,
      );
    const rows = await this.db('orders')
      .where('account_id', accountId)
      .where('created_at', '>=', since)
      .orderBy(['created_at', 'id'])
      .select(
        'order_number',
        'created_at',
        'acknowledged_at',
        ofOrder('min(order_updates.created_at)', 'shipment', 'first_shipment_at'),
        ofOrder('count(*)', 'cancellation', 'cancellations'),
        ofOrder('count(*)', 'refund', 'refunds'),
      );
    return rows.map((row) => ({
      orderNumber: String(row.order_number),
      receivedAt: String(row.created_at),
      acknowledgedAt: toNullableString(row.acknowledged_at),
      firstShipmentAt: toNullableString(row.first_shipment_at),
      cancellations: toNumber(row.cancellations),
      refunds: toNumber(row.refunds),
    }));
  }

  /** The lines of every shipment recorded for the orders received since `since`, shipment by shipment. */
  async shipmentLinesOfOrdersSince(accountId: number, since: string): Promise<ReportShipmentLine[]> {
    const rows = await this.db('order_updates')
      .join('orders', 'orders.id', 'order_updates.order_id')
      .join('order_update_lines', 'order_update_lines.update_id', 'order_updates.id')
      .join('order_lines', 'order_lines.id', 'order_update_lines.line_id')
      .leftJoin('products', 'products.id', 'order_lines.product_id')
      .where('orders.account_id', accountId)
      .where('orders.created_at', '>=', since)
      .where('order_updates.kind', 'shipment')
      .orderBy(['order_updates.id', 'order_lines.position'])
      .select(
        'order_updates.id as shipment_id',
        'orders.order_number',
        'order_updates.dispatch_date',
        'order_updates.created_at',
        ...DUE_DATE_COLUMNS,
      );
    return rows.map((row) => ({
      shipmentId: toNumber(row.shipment_id),
      orderNumber: String(row.order_number),
      dispatchDate: toNullableString(row.dispatch_date),
      recordedAt: String(row.created_at),
      ...dueDateInputs(row),
    }));
  }

  /** Stock error lines John Lewis returned, by the hour they were recorded. */
  stockErrorsPerHourSince(accountId: number, since: string): Promise<HourCount[]> {
    return this.perHour(this.db('stock_errors').where('account_id', accountId).where('created_at', '>=', since));
  }

  /** Outgoing files that ended `failed` (SPEC §6.5), by the hour they were made. */
  failedUpdatesPerHourSince(accountId: number, since: string): Promise<HourCount[]> {
    return this.perHour(
      this.db('outbox').where({ account_id: accountId, status: 'failed' }).where('created_at', '>=', since),
    );
  }

  private async perHour(rows: Knex.QueryBuilder): Promise<HourCount[]> {
    const hour = 'substr(created_at, 1, 13)';
    const counted = (await rows
      .select(this.db.raw(`${hour} as hour`))
      .count({ n: '*' })
      .groupByRaw(hour)
      .orderByRaw(hour)) as { hour: string; n: unknown }[];
    return counted.map((row) => ({ hour: String(row.hour), count: toNumber(row.n) }));
  }
}
