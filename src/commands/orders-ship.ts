/**
 * `orders ship` (SPEC §5.4): records a shipment of some or all of an order's unshipped units, checked
 * against the order first; `send-shipments` sends it. Exit codes: a malformed request, an unknown order,
 * line or carrier → UsageError (2); a request the order's state does not allow → RequestRefusedError (1).
 */
import { resolveCarrier } from '../core/carriers.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isBusinessDate, parseLineRequests, planShipment, shipmentOverrides } from '../core/order-rules.js';
import type { Account } from '../core/account.js';
import { londonDate } from '../formats/file-name-token.js';
import { shipmentDeliveryDate } from '../formats/tracking.js';
import { personAnswering, rejectOverriddenRequests } from './cancel-requests.js';
import {
  checkedBy,
  findOrder,
  recordChecked,
  requiredText,
  type RecordedUpdate,
  type UpdateDetails,
} from './record-update.js';

export interface ShipOptions {
  carrier: string;
  tracking: string;
  trackingUrl?: string;
  /** Dispatch date, yyyy-mm-dd (default: today in London). */
  date?: string;
  deliveryDate?: string;
  /** `--line <line_ref>[:qty]` values; none = every unshipped unit. */
  lines: string[];
  /** Ship units under an open customer cancellation request, closing it as rejected (SPEC §4.8). */
  force?: boolean;
}

export async function shipOrder(ctx: Context, orderNumber: string, options: ShipOptions): Promise<RecordedUpdate> {
  const requests = parseLineRequests(options.lines);
  const trackingNumber = requiredText(options.tracking, '--tracking');
  const trackingUrl = optionalTrackingUrl(options.trackingUrl);
  const dispatchDate = options.date ?? londonDate(ctx.clock.now());
  if (!isBusinessDate(dispatchDate))
    throw new UsageError(`--date ${JSON.stringify(dispatchDate)}: expected a date as yyyy-mm-dd`);
  if (options.deliveryDate !== undefined && !isBusinessDate(options.deliveryDate)) {
    throw new UsageError(`--delivery-date ${JSON.stringify(options.deliveryDate)}: expected a date as yyyy-mm-dd`);
  }
  const { account, order } = await findOrder(ctx, orderNumber);
  const details = shipmentDetails(account, {
    carrier: options.carrier,
    trackingNumber,
    trackingUrl,
    dispatchDate,
    deliveryDate: options.deliveryDate ?? null,
  });
  if ('problem' in details) throw new UsageError(details.problem.message);
  return recordChecked(
    ctx,
    account,
    order,
    'shipment',
    checkedBy((state) => planShipment(state, requests, { force: options.force })),
    details,
    (repo, current, state, lines, now) =>
      rejectOverriddenRequests(
        repo,
        current,
        shipmentOverrides(state, lines),
        `${personAnswering(ctx)} (orders ship --force)`,
        now,
      ),
  );
}

function optionalTrackingUrl(value: string | undefined): string | null {
  const url = (value ?? '').trim();
  if (url === '') return null;
  if (!isTrackingUrl(url)) throw new UsageError(`--tracking-url ${JSON.stringify(url)}: ${TRACKING_URL_EXPECTED}`);
  return url;
}

export const TRACKING_URL_EXPECTED = 'expected an http:// or https:// address';

export function isTrackingUrl(url: string): boolean {
  return /^https?:\/\/\S+$/i.test(url);
}

/**
 * A shipment's carrier code and delivery date (SPEC §4.4): the carrier must be a known code or a mapped
 * name of the account; delivery = the given date, else dispatch + (lead time − handling days), and never
 * before dispatch. Dates arrive checked as yyyy-mm-dd; a problem names the field it is about.
 */
export function shipmentDetails(
  account: Account,
  given: {
    carrier: string;
    trackingNumber: string;
    trackingUrl: string | null;
    dispatchDate: string;
    deliveryDate: string | null;
  },
): UpdateDetails | { problem: { field: 'carrier' | 'delivery_date'; message: string } } {
  const carrier = resolveCarrier(given.carrier, account);
  if ('error' in carrier) return { problem: { field: 'carrier', message: carrier.error } };
  const deliveryDate = given.deliveryDate ?? shipmentDeliveryDate(given.dispatchDate, account);
  if (deliveryDate < given.dispatchDate) {
    return {
      problem: {
        field: 'delivery_date',
        message: `the delivery date ${deliveryDate} is before the dispatch date ${given.dispatchDate}`,
      },
    };
  }
  return {
    carrier: carrier.code,
    trackingNumber: given.trackingNumber,
    trackingUrl: given.trackingUrl,
    dispatchDate: given.dispatchDate,
    deliveryDate,
  };
}
