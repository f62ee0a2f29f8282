import type { Knex } from 'knex';
import { columnReader, parseJson, toNumber } from './normalise.js';

/**
 * Customer cancellation requests (SPEC §4.8): one row per request file, stored against its order and lines
 * when they are known, and kept with the order number alone (and a `problem`) when they are not yet, so
 * that an order arriving later picks its request up. A request is `requested` until it is answered:
 * `accepted` (a cancellation was recorded) or `rejected` (closed, nothing sent).
 */
export type CancelRequestStatus = 'requested' | 'accepted' | 'rejected';

export interface NewCancelRequestLine {
  fileLine: number;
  lineRef: string;
  /** The order line it names; null while the order (or that line) is unknown. */
  lineId: number | null;
  quantity: number;
  reason: string | null;
  fields: Record<string, string>;
}

export interface NewCancelRequest {
  accountId: number;
  inboundFileId: number;
  orderNumber: string;
  orderId: number | null;
  fields: Record<string, string>;
  problem: string | null;
  lines: NewCancelRequestLine[];
  now: string;
}

export interface CancelRequestLine {
  id: number;
  fileLine: number;
  lineRef: string;
  lineId: number | null;
  quantity: number;
  reason: string | null;
}

export interface CancelRequest {
  id: number;
  accountId: number;
  orderNumber: string;
  orderId: number | null;
  status: CancelRequestStatus;
  /** The remote name of the request file. */
  fileName: string;
  fields: Record<string, string>;
  problem: string | null;
  receivedAt: string;
  answeredAt: string | null;
  answeredBy: string | null;
  answer: string | null;
  updateId: number | null;
  lines: CancelRequestLine[];
}

export interface CancelRequestAnswer {
  status: Exclude<CancelRequestStatus, 'requested'>;
  answeredBy: string;
  answer: string | null;
  updateId: number | null;
  now: string;
}

export class CancelRequestsRepo {
  constructor(private readonly db: Knex) {}

  /** Stores a request with its lines; call it in the transaction that logs its file. */
  async insert(request: NewCancelRequest): Promise<number> {
    const [row] = await this.db('cancel_requests')
      .insert({
        account_id: request.accountId,
        inbound_file_id: request.inboundFileId,
        order_number: request.orderNumber,
        order_id: request.orderId,
        status: 'requested',
        fields: JSON.stringify(request.fields),
        problem: request.problem,
        received_at: request.now,
      })
      .returning('id');
    const id = toNumber(typeof row === 'object' ? row.id : row);
    // A request names at most its order's lines: far below any batch limit.
    await this.db('cancel_request_lines').insert(
      request.lines.map((line) => ({
        request_id: id,
        file_line: line.fileLine,
        line_ref: line.lineRef,
        line_id: line.lineId,
        quantity: line.quantity,
        reason: line.reason,
        fields: JSON.stringify(line.fields),
      })),
    );
    return id;
  }

  /** Every request for an order number of the account, oldest first (to recognise a duplicate). */
  async listForOrderNumber(accountId: number, orderNumber: string): Promise<CancelRequest[]> {
    return this.list((query) =>
      query.where({ 'cancel_requests.account_id': accountId, 'cancel_requests.order_number': orderNumber }),
    );
  }

  /** Every request of an order, oldest first. */
  async listForOrder(orderId: number): Promise<CancelRequest[]> {
    return this.list((query) => query.where('cancel_requests.order_id', orderId));
  }

  /** Open requests of an order, oldest first. */
  async listOpenForOrder(orderId: number): Promise<CancelRequest[]> {
    return this.list((query) =>
      query.where({ 'cancel_requests.order_id': orderId, 'cancel_requests.status': 'requested' }),
    );
  }

  /** Open requests of an account, oldest first, whether their order is known or not. */
  async listOpen(accountId: number): Promise<CancelRequest[]> {
    return this.list((query) =>
      query.where({ 'cancel_requests.account_id': accountId, 'cancel_requests.status': 'requested' }),
    );
  }

  /** Open requests still waiting for their order (or one of its lines) to be known. */
  async listUnapplied(accountId: number): Promise<CancelRequest[]> {
    return this.list((query) =>
      query
        .where({ 'cancel_requests.account_id': accountId, 'cancel_requests.status': 'requested' })
        .whereNotNull('cancel_requests.problem'),
    );
  }

  /** Ties a request to its order and lines, with what still does not match (null: everything does). */
  async apply(requestId: number, orderId: number, lineIds: Map<number, number>, problem: string | null): Promise<void> {
    await this.db('cancel_requests').where({ id: requestId }).update({ order_id: orderId, problem });
    for (const [requestLineId, lineId] of lineIds) {
      await this.db('cancel_request_lines').where({ id: requestLineId }).update({ line_id: lineId });
    }
  }

  /** Units under open requests, per order line id: what may not ship until the requests are answered. */
  async openUnitsByLine(orderId: number): Promise<Map<number, number>> {
    const rows = (await this.db('cancel_request_lines')
      .join('cancel_requests', 'cancel_requests.id', 'cancel_request_lines.request_id')
      .where({ 'cancel_requests.order_id': orderId, 'cancel_requests.status': 'requested' })
      .whereNotNull('cancel_request_lines.line_id')
      .groupBy('cancel_request_lines.line_id')
      .select('cancel_request_lines.line_id')
      .sum({ units: 'cancel_request_lines.quantity' })) as { line_id: unknown; units: unknown }[];
    return new Map(rows.map((row) => [toNumber(row.line_id), toNumber(row.units)]));
  }

  /** Closes open requests; one already answered is left as it is. */
  async answer(requestIds: number[], answer: CancelRequestAnswer): Promise<void> {
    await this.db('cancel_requests').whereIn('id', requestIds).where('status', 'requested').update({
      status: answer.status,
      answered_by: answer.answeredBy,
      answer: answer.answer,
      answered_at: answer.now,
      update_id: answer.updateId,
    });
  }

  private async list(narrow: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<CancelRequest[]> {
    const rows: Record<string, unknown>[] = await narrow(
      this.db('cancel_requests')
        .join('inbound_files', 'inbound_files.id', 'cancel_requests.inbound_file_id')
        .select('cancel_requests.*', 'inbound_files.remote_name'),
    ).orderBy('cancel_requests.id');
    const requests = rows.map(requestFromRow);
    if (requests.length === 0) return requests;
    const byId = new Map(requests.map((request) => [request.id, request]));
    const ids = [...byId.keys()];
    // Open requests are few; the chunk keeps a long history within SQLite's bound-variable limit.
    for (let start = 0; start < ids.length; start += 500) {
      const lines = await this.db('cancel_request_lines')
        .whereIn('request_id', ids.slice(start, start + 500))
        .orderBy(['request_id', 'file_line']);
      for (const row of lines) {
        byId.get(toNumber(row.request_id))!.lines.push(readRequestLine(row));
      }
    }
    return requests;
  }
}

const readRequestLine = columnReader({
  number: ['id', 'fileLine', 'quantity'],
  string: ['lineRef'],
  nullableNumber: ['lineId'],
  nullableString: ['reason'],
});

const readRequest = columnReader({
  number: ['id', 'accountId'],
  string: ['orderNumber', 'receivedAt'],
  nullableNumber: ['orderId', 'updateId'],
  nullableString: ['problem', 'answeredAt', 'answeredBy', 'answer'],
});

function requestFromRow(row: Record<string, unknown>): CancelRequest {
  return {
    ...readRequest(row),
    status: row.status as CancelRequestStatus,
    fileName: String(row.remote_name),
    fields: parseJson(row.fields, {}),
    lines: [],
  };
}
