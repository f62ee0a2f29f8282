import { parseJson, toNullableNumber } from './normalise.js';

/** What a line's due date is made from (SPEC §5.5). */
export interface DueDateInputs {
  promisedDate: string | undefined;
  expectedDeliveryDate: string | undefined;
  /** The matched product's own lead time; null: the account's. */
  productLeadTimeDays: number | null;
}

/** The columns a query joining orders, order_lines and products selects for dueDateInputs(). */
export const DUE_DATE_COLUMNS = [
  'orders.fields as order_fields',
  'order_lines.fields as line_fields',
  'products.lead_time_days',
] as const;

export function dueDateInputs(row: Record<string, unknown>): DueDateInputs {
  return {
    promisedDate: parseJson<Record<string, string>>(row.line_fields, {}).promised_date,
    expectedDeliveryDate: parseJson<Record<string, string>>(row.order_fields, {}).expected_delivery_date,
    productLeadTimeDays: toNullableNumber(row.lead_time_days),
  };
}
