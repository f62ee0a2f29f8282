/**
 * Deciding what an order file becomes (SPEC §4.2): pure, from the parsed file and what the database
 * already holds. Reading is in download-orders/read-ahead.ts, storing in download-orders.ts.
 */
import type { Account } from '../../core/account.js';
import type { ItemError } from '../../core/step.js';
import type { NewOrder, OrderStatus } from '../../db/repo/orders.js';
import type { ParsedOrder } from '../../formats/order-file.js';
import type { FormatProblem } from '../../formats/two-section.js';

export type FileOutcome = 'downloaded' | 'incomplete' | 'duplicate' | 'rejected';

/** What one file became, for --json and --dry-run. */
export interface FileReport {
  file: string;
  outcome: FileOutcome;
  order_number: string | null;
  lines: number;
  /** Every problem found, high and low, as stored on the order or the exchange. */
  problems: string[];
}

/** The order-number column holds at most this many characters; a longer value cannot be an order number. */
const ORDER_NUMBER_MAX_LENGTH = 32;

/** The order number as stored, or null when the file has none the column can hold. */
export function usableOrderNumber(parsed: ParsedOrder): string | null {
  return parsed.orderNumber !== null && parsed.orderNumber.length <= ORDER_NUMBER_MAX_LENGTH
    ? parsed.orderNumber
    : null;
}

/** What one order file becomes: its report, the order to store (if any), and what to tell the user. */
export interface OrderFileDecision {
  file: FileReport;
  order: Omit<NewOrder, 'inboundFileId' | 'now'> | null;
  /** The stored incomplete order this file corrects (SPEC §3): it is replaced rather than inserted. */
  replaces: number | null;
  /** The reason stored on the exchange-log row of a file that gave no order. */
  exchangeError: string | null;
  errors: ItemError[];
  /** Low-severity problems of a stored order (an unknown part number …): shown, but not failures. */
  warnings: ItemError[];
}

/** The order an earlier file (or an earlier file of this dry run) already stored under the same number. */
export interface EarlierOrder {
  from: string;
  status: string;
  /** Set when the stored order is still incomplete: its id, for a corrected file to replace it. */
  incompleteId?: number;
}

/**
 * Decides what an order file becomes and reports its problems. `earlier`: the order already stored under
 * its number; `productIds`: the account's product id per part number, for the part numbers of the file.
 */
export function decideOrderFile(input: {
  name: string;
  parsed: ParsedOrder;
  account: Pick<Account, 'id' | 'name'>;
  earlier: (orderNumber: string) => EarlierOrder | null;
  productIds: Map<string, number>;
}): OrderFileDecision {
  const { name, parsed, account, productIds } = input;
  const errors: ItemError[] = [];
  const warnings: ItemError[] = [];
  const high = parsed.problems.filter((problem) => problem.severity === 'high');
  const orderNumber = usableOrderNumber(parsed);
  const file: FileReport = {
    file: name,
    outcome: 'rejected',
    order_number: orderNumber,
    lines: parsed.lines.length,
    problems: [],
  };

  if (orderNumber === null) {
    const reasons =
      high.length > 0
        ? high
        : [{ severity: 'high' as const, line: 2, message: 'line 2: the order number is not usable' }];
    file.problems = reasons.map((problem) => problem.message);
    for (const problem of reasons) errors.push(itemError(name, null, 'rejected, no order stored', problem));
    return { file, order: null, replaces: null, exchangeError: file.problems.join('\n'), errors, warnings };
  }

  const earlier = input.earlier(orderNumber);
  // SPEC §3: an order never acknowledged because its file was broken is corrected by a new file.
  const replaces = earlier?.incompleteId ?? null;
  if (earlier && replaces === null) {
    const message = `order ${orderNumber} is already stored from ${earlier.from} (status ${earlier.status}); this file changed nothing`;
    file.outcome = 'duplicate';
    file.problems = [message];
    errors.push({ file: name, order: orderNumber, message: `duplicate: ${message}` });
    return { file, order: null, replaces: null, exchangeError: message, errors, warnings };
  }

  const problems: FormatProblem[] = [...parsed.problems];
  for (const line of parsed.lines) {
    if (line.partNumber !== '' && !productIds.has(line.partNumber)) {
      problems.push({
        severity: 'low',
        line: line.line,
        message: `line ${line.line}: part_number ${line.partNumber} matches no product of account ${account.name} (no product has this channel item id)`,
      });
    }
  }
  const status: Extract<OrderStatus, 'awaiting_ack' | 'incomplete'> = high.length > 0 ? 'incomplete' : 'awaiting_ack';
  file.outcome = status === 'incomplete' ? 'incomplete' : 'downloaded';
  file.problems = problems.map((problem) => problem.message);
  for (const problem of problems) {
    if (problem.severity === 'high') errors.push(itemError(name, orderNumber, 'incomplete, not acknowledged', problem));
    else warnings.push(itemError(name, orderNumber, 'note', problem));
  }

  const testFlag = parsed.order.test_flag?.trim() ?? '';
  const orderDate = parsed.order.order_date?.trim() ?? '';
  if (earlier && replaces !== null) {
    warnings.push({
      file: name,
      order: orderNumber,
      message: `note: replaces incomplete order ${orderNumber} from ${earlier.from} (kept in its history)`,
    });
  }
  return {
    file,
    exchangeError: null,
    replaces,
    errors,
    warnings,
    order: {
      accountId: account.id,
      orderNumber,
      status,
      // The columns are short; a longer value is still in `fields`, as written.
      testFlag: testFlag.length === 1 ? testFlag : null,
      orderDate: orderDate !== '' && orderDate.length <= 32 ? orderDate : null,
      fields: { ...parsed.order, ...parsed.extraOrderFields },
      lines: parsed.lines.map((line, index) => ({
        position: index + 1,
        lineRef: line.lineRef,
        partNumber: line.partNumber,
        productId: productIds.get(line.partNumber) ?? null,
        // An unreadable quantity makes the order incomplete; the file's text stays in `fields`.
        quantity: line.quantity ?? 0,
        unitPrice: line.unitPrice,
        fields: { ...line.fields, ...line.extra },
      })),
      errors: problems.map((problem) => ({ severity: problem.severity, message: problem.message })),
    },
  };
}

export const COUNT_OF: Record<FileOutcome, 'downloaded' | 'incomplete' | 'duplicates' | 'rejected'> = {
  downloaded: 'downloaded',
  incomplete: 'incomplete',
  duplicate: 'duplicates',
  rejected: 'rejected',
};

/** An item error for one problem; its `line N:` prefix moves into `line` so the printed form names it once. */
export function itemError(file: string, order: string | null, what: string, problem: FormatProblem): ItemError {
  const match = /^line (\d+): /.exec(problem.message);
  return {
    file,
    ...(problem.line !== null ? { line: problem.line } : {}),
    ...(order !== null ? { order } : {}),
    message: `${what}: ${match ? problem.message.slice(match[0].length) : problem.message}`,
  };
}
