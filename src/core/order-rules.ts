/**
 * What may be shipped, cancelled or refunded, and what status an order has (SPEC §3). Pure functions over
 * an order's line quantities: the recording commands check a request here before anything is stored, and
 * the send steps derive the order's status here when a file has been sent.
 *
 * Refusals come in two kinds, which the commands turn into exit codes (SPEC §5.7):
 * - `usage` (exit 2): the request itself is wrong, whatever state the order is in: a malformed `--line`
 *   or amount, a line reference the order does not have, a line named twice.
 * - `refused` (exit 1): a well-formed request that the order's current state does not allow: more units
 *   than are left, an order that is not (or no longer) in a state for it, an amount that is not whole
 *   units of the line's price.
 */
import { ExitCode, JlEdgeError, UsageError } from './errors.js';
import type { OrderStatus } from '../db/repo/orders.js';
import { addDays } from '../formats/file-name-token.js';

export type UpdateKind = 'shipment' | 'cancellation' | 'refund';

export interface LineState {
  lineRef: string;
  quantity: number;
  /** Units whose file and marker are on The Edge's server. */
  shipped: number;
  cancelled: number;
  refunded: number;
  /**
   * Units recorded but not sent: waiting for a send step, in flight, or in a file whose attempts ran out
   * (such a file still holds its units: `updates retry` sends it, and recording them again would double them).
   */
  pendingShipped: number;
  pendingCancelled: number;
  pendingRefunded: number;
  /** Units the customer asked to cancel in requests not answered yet (SPEC §4.8): they may not ship. */
  requestedCancellation: number;
  /** The price per unit a refund amount is checked against, and the order file's column it came from. */
  unitPrice: { value: string; column: string } | null;
}

export interface OrderState {
  orderNumber: string;
  status: OrderStatus;
  lines: LineState[];
}

/** One `--line <line_ref>[:qty]`; quantity null = every unit the request may cover on that line. */
export interface LineRequest {
  lineRef: string;
  quantity: number | null;
}

export interface PlannedLine {
  lineRef: string;
  quantity: number;
}

export interface Refusal {
  kind: 'usage' | 'refused';
  message: string;
}

export interface UnitsPlan {
  lines: PlannedLine[];
  refusals: Refusal[];
}

/** A well-formed request the order's state does not allow: exit 1 (SPEC §5.7 "some items failed"). */
export class RequestRefusedError extends JlEdgeError {
  constructor(message: string) {
    super(message, ExitCode.itemsFailed);
  }
}

/** Throws the plan's refusals (usage first: a malformed request is reported as such), else returns its lines. */
export function acceptedLines(plan: UnitsPlan): PlannedLine[] {
  const usage = plan.refusals.filter((r) => r.kind === 'usage');
  if (usage.length > 0) throw new UsageError(usage.map((r) => r.message).join('; '));
  if (plan.refusals.length > 0) throw new RequestRefusedError(plan.refusals.map((r) => r.message).join('; '));
  return plan.lines;
}

const WHOLE_UNITS = /^\d+$/;

/**
 * `--line <line_ref>[:qty]` values. The quantity follows the last `:`, so it must be a whole number ≥ 1
 * (a fraction of a unit is a malformed request, not a state the order could be in).
 */
export function parseLineRequests(values: readonly string[]): LineRequest[] {
  const requests: LineRequest[] = [];
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const lineRef = (colon === -1 ? value : value.slice(0, colon)).trim();
    const quantityText = colon === -1 ? null : value.slice(colon + 1).trim();
    if (lineRef === '')
      throw new UsageError(`--line ${JSON.stringify(value)}: expected <line_ref>[:qty], e.g. --line 1 or --line 1:2`);
    if (quantityText !== null && (!WHOLE_UNITS.test(quantityText) || Number(quantityText) < 1)) {
      throw new UsageError(`--line ${JSON.stringify(value)}: the quantity must be a whole number of units, at least 1`);
    }
    if (requests.some((r) => r.lineRef === lineRef))
      throw new UsageError(`--line: line ${lineRef} is named more than once`);
    requests.push({ lineRef, quantity: quantityText === null ? null : Number(quantityText) });
  }
  return requests;
}

/** Units of a line that are neither shipped nor cancelled, counting recorded requests: what ship and cancel share. */
export function openUnits(line: LineState): number {
  return line.quantity - line.shipped - line.pendingShipped - line.cancelled - line.pendingCancelled;
}

/**
 * Shipped units not yet refunded, counting recorded refunds. Only units whose shipment was SENT count: a
 * refund is a correction of a tracking file The Edge already has, and a refund file sent before its
 * shipment file would cancel units The Edge does not know were dispatched.
 */
export function refundableUnits(line: LineState): number {
  return line.shipped - line.refunded - line.pendingRefunded;
}

/** "ordered 3: 1 shipped, 1 recorded for shipment" — the figures behind a refusal. */
export function describeLine(line: LineState): string {
  const parts = [
    [line.shipped, 'shipped'],
    [line.pendingShipped, 'recorded for shipment'],
    [line.cancelled, 'cancelled'],
    [line.pendingCancelled, 'recorded for cancellation'],
    [line.refunded, 'refunded'],
    [line.pendingRefunded, 'recorded for refund'],
  ] as const;
  const nonZero = parts.filter(([units]) => units > 0).map(([units, what]) => `${units} ${what}`);
  return `ordered ${line.quantity}${nonZero.length ? `: ${nonZero.join(', ')}` : ', nothing shipped or cancelled yet'}`;
}

const SHIPPABLE: readonly OrderStatus[] = ['ready_to_ship', 'partially_shipped'];
/** A cancellation may be recorded before the acknowledgement is sent; it is sent after it (SPEC §3, §4.5). */
const CANCELLABLE: readonly OrderStatus[] = ['awaiting_ack', 'ready_to_ship', 'partially_shipped'];

function statusRefusal(order: OrderState, allowed: readonly OrderStatus[], verb: string): Refusal | null {
  if (allowed.includes(order.status)) return null;
  const why: Record<OrderStatus, string> = {
    incomplete: 'is incomplete (its order file had errors) and is never acknowledged',
    awaiting_ack: 'is awaiting its acknowledgement; it can ship once ack-orders has sent it',
    ready_to_ship: 'is ready to ship',
    partially_shipped: 'is partially shipped',
    shipped: 'is already shipped in full',
    cancelled: 'is cancelled',
    dismissed: 'was dismissed by a person (jl-edge orders show gives the reason)',
  };
  return { kind: 'refused', message: `order ${order.orderNumber} cannot be ${verb}: it ${why[order.status]}` };
}

/** Why the order's status does not allow a shipment, or null when it does. */
export function shipmentRefusal(order: OrderState): Refusal | null {
  return statusRefusal(order, SHIPPABLE, 'shipped');
}

interface UnitRule {
  verb: 'shipped' | 'cancelled' | 'refunded';
  available(line: LineState): number;
  /** Why a line has nothing available, beyond its figures (e.g. "a shipped unit is refunded, not cancelled"). */
  hint(line: LineState): string;
}

function planUnits(order: OrderState, requests: readonly LineRequest[], rule: UnitRule): UnitsPlan {
  const refusals: Refusal[] = [];
  const lines: PlannedLine[] = [];
  const refuse = (line: LineState, message: string): void => {
    refusals.push({
      kind: 'refused',
      message: `order ${order.orderNumber} line ${line.lineRef}: ${message} (${describeLine(line)})${rule.hint(line)}`,
    });
  };
  if (requests.length === 0) {
    for (const line of order.lines) {
      const units = rule.available(line);
      if (units > 0) lines.push({ lineRef: line.lineRef, quantity: units });
    }
    if (lines.length === 0)
      refusals.push({ kind: 'refused', message: `order ${order.orderNumber} has nothing left to be ${rule.verb}` });
    return { lines, refusals };
  }
  for (const request of requests) {
    const line = order.lines.find((l) => l.lineRef === request.lineRef);
    if (line === undefined) {
      refusals.push({
        kind: 'usage',
        message: `order ${order.orderNumber} has no line ${JSON.stringify(request.lineRef)} (its lines: ${order.lines.map((l) => l.lineRef).join(', ')})`,
      });
      continue;
    }
    const available = rule.available(line);
    if (available <= 0) refuse(line, `nothing left to be ${rule.verb}`);
    else if (request.quantity !== null && request.quantity > available)
      refuse(line, `${request.quantity} cannot be ${rule.verb}, only ${available} can`);
    else lines.push({ lineRef: line.lineRef, quantity: request.quantity ?? available });
  }
  return { lines, refusals };
}

/** Open units the customer asked to cancel: a request for more than is left covers what is left. */
export function requestedUnits(line: LineState): number {
  return Math.min(line.requestedCancellation, Math.max(openUnits(line), 0));
}

/** The planned lines that would ship units under an open cancellation request (SPEC §3, §4.8). */
export function shipmentOverrides(order: OrderState, planned: readonly PlannedLine[]): PlannedLine[] {
  return planned.filter((plannedLine) => {
    const line = order.lines.find((l) => l.lineRef === plannedLine.lineRef)!;
    return plannedLine.quantity > openUnits(line) - requestedUnits(line);
  });
}

/**
 * SPEC §3/§5.4: only `ready_to_ship`/`partially_shipped` orders; never more than ordered − cancelled −
 * shipped, counting what is recorded; no lines = every unit left. Units under an open customer cancellation
 * request are refused unless `force` (the caller then closes that request as rejected).
 */
export function planShipment(
  order: OrderState,
  requests: readonly LineRequest[],
  options: { force?: boolean; forceOption?: string } = {},
): UnitsPlan {
  const refusal = shipmentRefusal(order);
  if (refusal) return { lines: [], refusals: [refusal] };
  const plan = planUnits(order, requests, {
    verb: 'shipped',
    available: openUnits,
    hint: (line) => (line.pendingCancelled > 0 ? ' — units recorded for cancellation cannot ship' : ''),
  });
  if (options.force || plan.refusals.length > 0) return plan;
  const refusals = shipmentOverrides(order, plan.lines).map((planned): Refusal => {
    const line = order.lines.find((l) => l.lineRef === planned.lineRef)!;
    const units = requestedUnits(line);
    return {
      kind: 'refused',
      message:
        `order ${order.orderNumber} line ${line.lineRef}: ${units} unit(s) are under the customer's open cancellation request, ` +
        `so ${planned.quantity} cannot ship (${describeLine(line)}, ${units} requested for cancellation) — answer it first with ` +
        `\`jl-edge orders accept-cancel ${order.orderNumber}\` or \`jl-edge orders reject-cancel ${order.orderNumber} --reason …\`, ` +
        `or ship anyway with ${options.forceOption ?? '--force'}, which closes the request as rejected`,
    };
  });
  return refusals.length > 0 ? { lines: [], refusals } : plan;
}

/** A request's units that cannot be cancelled any more (shipped, or already cancelled), and why. */
export interface RequestShortfall {
  lineRef: string;
  requested: number;
  cancelled: number;
  why: string;
}

/**
 * SPEC §4.8 accept: the requested units still open become a pre-shipment cancellation; what was shipped
 * (or recorded for shipment) meanwhile cannot be, and is reported. Refused when the order's status allows no
 * cancellation, or nothing requested is left to cancel.
 */
export function planRequestedCancellation(order: OrderState): UnitsPlan & { shortfalls: RequestShortfall[] } {
  const refusal = statusRefusal(order, CANCELLABLE, 'cancelled');
  if (refusal) return { lines: [], refusals: [refusal], shortfalls: [] };
  const lines: PlannedLine[] = [];
  const shortfalls: RequestShortfall[] = [];
  for (const line of order.lines) {
    if (line.requestedCancellation === 0) continue;
    const units = requestedUnits(line);
    if (units > 0) lines.push({ lineRef: line.lineRef, quantity: units });
    if (units < line.requestedCancellation) {
      shortfalls.push({
        lineRef: line.lineRef,
        requested: line.requestedCancellation,
        cancelled: units,
        why: describeLine(line),
      });
    }
  }
  const refusals: Refusal[] =
    lines.length === 0
      ? [
          {
            kind: 'refused',
            message: `order ${order.orderNumber}: none of the units the customer asked to cancel is left to cancel (${shortfalls
              .map((s) => `line ${s.lineRef}: ${s.why}`)
              .join('; ')}) — close the request with \`jl-edge orders reject-cancel ${order.orderNumber} --reason …\``,
          },
        ]
      : [];
  return { lines, refusals, shortfalls };
}

/**
 * SPEC §3/§4.5: pre-shipment cancellation of units neither shipped nor cancelled (counting what is
 * recorded); no lines = every such unit. Allowed before the acknowledgement is sent: it is recorded and
 * waits for it.
 */
export function planCancellation(order: OrderState, requests: readonly LineRequest[]): UnitsPlan {
  const refusal = statusRefusal(order, CANCELLABLE, 'cancelled');
  if (refusal) return { lines: [], refusals: [refusal] };
  return planUnits(order, requests, {
    verb: 'cancelled',
    available: openUnits,
    hint: (line) =>
      line.shipped + line.pendingShipped > 0
        ? ' — a shipped unit cannot be cancelled before shipment: refund it with `jl-edge orders refund`'
        : '',
  });
}

/**
 * SPEC §3: a refund is of whole shipped units not already refunded (counting recorded refunds), at least
 * one. An amount must be an exact multiple of the line's unit price and then says how many units; it
 * applies to one line, so it needs exactly one `--line`.
 */
export function planRefund(order: OrderState, requests: readonly LineRequest[], amount: string | null): UnitsPlan {
  if (requests.length === 0) {
    return { lines: [], refusals: [{ kind: 'usage', message: 'name the refunded line(s): --line <line_ref>[:qty]' }] };
  }
  if (amount !== null && requests.length !== 1) {
    return {
      lines: [],
      refusals: [{ kind: 'usage', message: '--amount is for one line: record one refund per line' }],
    };
  }
  if (amount !== null && parseAmount(amount) === null) {
    return { lines: [], refusals: [{ kind: 'usage', message: amountFormatMessage(amount) }] };
  }
  const plan = planUnits(order, requests, {
    verb: 'refunded',
    available: refundableUnits,
    hint: (line) =>
      line.pendingShipped > 0 && line.shipped === 0
        ? ' — units are refundable once their shipment has been sent (send-shipments)'
        : '',
  });
  if (amount === null || plan.refusals.length > 0) return plan;

  const [request] = requests;
  const line = order.lines.find((l) => l.lineRef === request.lineRef)!;
  const units = unitsForAmount(amount, line.unitPrice);
  const each = `at ${line.unitPrice?.value} (${line.unitPrice?.column}) each`;
  const where = `order ${order.orderNumber} line ${line.lineRef}`;
  if ('error' in units) return { lines: [], refusals: [{ kind: 'refused', message: `${where}: ${units.error}` }] };
  const available = refundableUnits(line);
  if (request.quantity !== null && request.quantity !== units.units) {
    return {
      lines: [],
      refusals: [
        {
          kind: 'refused',
          message: `${where}: --amount ${amount} is ${units.units} unit(s) ${each}, but --line asks for ${request.quantity}`,
        },
      ],
    };
  }
  if (units.units > available) {
    return {
      lines: [],
      refusals: [
        {
          kind: 'refused',
          message: `${where}: --amount ${amount} is ${units.units} unit(s) ${each}, only ${available} can be refunded (${describeLine(line)})`,
        },
      ],
    };
  }
  return { lines: [{ lineRef: line.lineRef, quantity: units.units }], refusals: [] };
}

/** A money amount as exact minor units at a scale (`14.50` → 1450n at scale 2): never a float. */
interface ExactAmount {
  minor: bigint;
  scale: number;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

function parseDecimal(text: string): ExactAmount | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const fraction = match[2] ?? '';
  return { minor: BigInt(match[1] + fraction), scale: fraction.length };
}

function atScale(amount: ExactAmount, scale: number): bigint {
  return amount.minor * 10n ** BigInt(scale - amount.scale);
}

/** `--amount`: pounds and pence (`14`, `14.5`, `14.50`), greater than zero. */
export function parseAmount(text: string): ExactAmount | null {
  const amount = parseDecimal(text);
  return amount && amount.scale <= 2 && amount.minor > 0n ? amount : null;
}

export function amountFormatMessage(text: string): string {
  return `--amount ${JSON.stringify(text)}: expected an amount greater than 0 in pounds and pence, e.g. 14.50`;
}

/** How many whole units of `unitPrice` make `amount`, compared in integer minor units. */
export function unitsForAmount(
  amount: string,
  unitPrice: LineState['unitPrice'],
): { units: number } | { error: string } {
  const given = parseAmount(amount);
  if (given === null) return { error: amountFormatMessage(amount) };
  if (unitPrice === null) {
    return {
      error: `the order file gave neither a unit_price nor a unit_cost_price for this line, so --amount ${amount} cannot be checked: leave --amount out and give the units (--line <line_ref>:<qty>)`,
    };
  }
  const price = parseDecimal(unitPrice.value);
  if (price === null)
    return {
      error: `the ${unitPrice.column} ${JSON.stringify(unitPrice.value)} in the order file is not a number, so --amount cannot be checked`,
    };
  if (price.minor === 0n)
    return { error: `the ${unitPrice.column} in the order file is 0, so an amount cannot be whole units of it` };
  const scale = Math.max(given.scale, price.scale);
  const amountMinor = atScale(given, scale);
  const priceMinor = atScale(price, scale);
  if (amountMinor % priceMinor !== 0n) {
    return {
      error: `--amount ${amount} is not a whole number of units at the ${unitPrice.column} ${unitPrice.value}: a refund is for whole units`,
    };
  }
  return { units: Number(amountMinor / priceMinor) };
}

/** The state with a recorded (not yet sent) update added, to check several requests against each other. */
export function withRecorded(order: OrderState, kind: UpdateKind, lines: readonly PlannedLine[]): OrderState {
  const field =
    kind === 'shipment' ? 'pendingShipped' : kind === 'cancellation' ? 'pendingCancelled' : 'pendingRefunded';
  return {
    ...order,
    lines: order.lines.map((line) => {
      const units = lines.filter((l) => l.lineRef === line.lineRef).reduce((sum, l) => sum + l.quantity, 0);
      return units === 0 ? line : { ...line, [field]: line[field] + units };
    }),
  };
}

/**
 * SPEC §3, from the units SENT to The Edge: `cancelled` when every unit is cancelled; `shipped` when every
 * unit is shipped or cancelled and at least one shipped; `partially_shipped` while some are shipped;
 * otherwise `ready_to_ship`. Refunds never change the status. An order not yet acknowledged (or
 * incomplete) keeps its status: nothing is sent for it before its acknowledgement.
 */
export function deriveStatus(
  current: OrderStatus,
  lines: readonly { quantity: number; shipped: number; cancelled: number }[],
): OrderStatus {
  if (current === 'awaiting_ack' || current === 'incomplete') return current;
  const total = lines.reduce((sum, l) => sum + l.quantity, 0);
  const shipped = lines.reduce((sum, l) => sum + l.shipped, 0);
  const cancelled = lines.reduce((sum, l) => sum + l.cancelled, 0);
  if (total > 0 && cancelled >= total) return 'cancelled';
  if (shipped > 0 && shipped + cancelled >= total) return 'shipped';
  if (shipped > 0) return 'partially_shipped';
  return 'ready_to_ship';
}

/** A `yyyy-mm-dd` that is a real calendar date (2026-02-30 is not). */
export function isBusinessDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  try {
    return addDays(text, 0) === text;
  } catch {
    return false;
  }
}
