/**
 * The files jl-edge writes for the seller's warehouse (SPEC §5.8). Pure: orders in, bytes out. Every
 * column below is documented in the README ("Connecting your warehouse") and stays stable: new columns
 * are only ever added at the end.
 *
 * ◇ One row per order line, with the order's delivery details repeated on each row, so a picker's
 * spreadsheet needs no joins. `quantity` is the units to send: ordered minus every cancellation recorded
 * before the export. CSV: comma, a field quoted only when it must be, UTF-8 without BOM, LF (SPEC §4.1's
 * outbound rules). JSONL: one JSON object per row with the same keys, all values strings.
 */
import { DEFAULT_OUTBOUND, renderLine } from './delimited.js';
import { SHIPPING_COLUMNS } from './order-file.js';

export type ExportFormat = 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];

export const ORDER_EXPORT_COLUMNS = [
  'account',
  'order_number',
  'supplier_ref',
  'order_date',
  'line_ref',
  'part_number',
  'sku',
  'description',
  'quantity',
  'unit_price',
  'line_total',
  'promised_date',
  'expected_delivery_date',
  ...SHIPPING_COLUMNS,
  'comments',
] as const;

export const CANCELLATION_EXPORT_COLUMNS = [
  'account',
  'order_number',
  'line_ref',
  'part_number',
  'sku',
  'quantity',
  'reason',
  'cancelled_at',
  // Added for customer cancellation requests (SPEC §4.8): cancelled | requested | request_rejected.
  'status',
] as const;

export type OrderExportRow = Record<(typeof ORDER_EXPORT_COLUMNS)[number], string>;
export type CancellationExportRow = Record<(typeof CANCELLATION_EXPORT_COLUMNS)[number], string>;

/** What an order line contributes, as the database holds it. */
export interface ExportedOrder {
  account: string;
  orderNumber: string;
  supplierRef: string;
  orderDate: string | null;
  /** Every order-section column of The Edge's file. */
  fields: Record<string, string>;
  lines: {
    lineRef: string;
    partNumber: string;
    sku: string | null;
    unitPrice: string | null;
    quantityToSend: number;
    /** Every item column of The Edge's file. */
    fields: Record<string, string>;
  }[];
}

/** ◇ The file name: `orders-<token>.csv|jsonl` and `cancellations-<token>.csv|jsonl`. */
export function exportFileName(kind: 'orders' | 'cancellations', token: string, format: ExportFormat): string {
  return `${kind}-${token}.${format}`;
}

export function orderExportRows(order: ExportedOrder): OrderExportRow[] {
  const field = (name: string): string => order.fields[name] ?? '';
  return order.lines
    .filter((line) => line.quantityToSend > 0)
    .map((line) => ({
      account: order.account,
      order_number: order.orderNumber,
      supplier_ref: order.supplierRef,
      order_date: order.orderDate ?? '',
      line_ref: line.lineRef,
      part_number: line.partNumber,
      sku: line.sku ?? '',
      description: line.fields.description ?? line.fields.name ?? '',
      quantity: String(line.quantityToSend),
      unit_price: line.unitPrice ?? '',
      line_total: line.fields.total ?? line.fields.sub_total ?? '',
      promised_date: line.fields.promised_date ?? '',
      expected_delivery_date: field('expected_delivery_date'),
      shipping_title: field('shipping_title'),
      shipping_full_name: field('shipping_full_name'),
      shipping_address_1: field('shipping_address_1'),
      shipping_address_2: field('shipping_address_2'),
      shipping_address_3: field('shipping_address_3'),
      shipping_city: field('shipping_city'),
      shipping_postcode: field('shipping_postcode'),
      shipping_country: field('shipping_country'),
      shipping_phone: field('shipping_phone'),
      shipping_email: field('shipping_email'),
      comments: field('comments'),
    }));
}

/** The whole file: a header row then the rows (CSV), or one object per line (JSONL). */
export function renderExport<Row extends Record<string, string>>(
  columns: readonly (keyof Row & string)[],
  rows: Row[],
  format: ExportFormat,
): Buffer {
  if (format === 'jsonl') {
    return Buffer.from(
      rows.map((row) => `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c]])))}\n`).join(''),
      'utf8',
    );
  }
  const lines = [
    renderLine([...columns], DEFAULT_OUTBOUND),
    ...rows.map((row) =>
      renderLine(
        columns.map((c) => row[c]),
        DEFAULT_OUTBOUND,
      ),
    ),
  ];
  return Buffer.from(lines.join(''), 'utf8');
}
