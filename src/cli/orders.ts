import { Option, type Command } from '@commander-js/extra-typings';
import { ExitCode } from '../core/errors.js';
import type { StepResult } from '../core/step.js';
import type { ImportedShipment } from '../commands/import-shipments.js';
import type { OrderDetailView, OrderView } from '../commands/orders.js';
import type { RecordedUpdate } from '../commands/record-update.js';
import type { CancelRequestAnswerResult } from '../commands/cancel-requests.js';
import { handler, parsePositiveInt } from './action.js';
import { type CommandOutput, okOutput } from './output.js';
import { describeUpdate, recordedUpdateLines, sendStepOf } from './recorded-updates.js';
import { syncStepOutput } from './steps.js';
import { INBOX_HELP, fileOrInbox, withInboxOptions } from './warehouse.js';

/** Orders `orders list` prints to a person when no --limit is given. */
const DEFAULT_LIST_LIMIT = 50;

function orderTable(orders: OrderView[], withDue: boolean): string[] {
  if (orders.length === 0) return ['no orders'];
  const rows = orders.map((order) => [
    order.order_number,
    order.account,
    order.status,
    String(order.lines.length),
    String(order.lines.reduce((units, line) => units + line.quantity, 0)),
    order.errors.length
      ? `${order.errors.length} (${order.errors.filter((error) => error.severity === 'high').length} high)`
      : '',
    order.created_at.slice(0, 16).replace('T', ' '),
    ...(withDue ? [order.due_date ?? ''] : []),
  ]);
  const header = ['ORDER', 'ACCOUNT', 'STATUS', 'LINES', 'UNITS', 'ERRORS', 'RECEIVED', ...(withDue ? ['DUE'] : [])];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
}

/** The `cancellation requests:` block of `orders show`, with how to answer an open one. */
function cancelRequestLines(order: OrderDetailView): string[] {
  const requests = order.cancel_requests ?? [];
  if (requests.length === 0) return [];
  const lines = ['  cancellation requests:'];
  for (const request of requests) {
    const units = request.lines.map((line) => `line ${line.line_ref} x${line.quantity}`).join(', ');
    const state =
      request.status === 'requested'
        ? `OPEN: answer with jl-edge orders accept-cancel ${order.order_number}, or reject-cancel ${order.order_number} --reason …`
        : `${request.status} ${request.answered_at} by ${request.answered_by}${request.answer ? ` (${request.answer})` : ''}${request.update_id !== null ? `, cancellation ${request.update_id}` : ''}`;
    lines.push(`    ${request.file} received ${request.received_at}: ${units}: ${state}`);
    if (request.problem) lines.push(`      problem: ${request.problem}`);
  }
  return lines;
}

function orderDetail(order: OrderDetailView): string[] {
  const { delivery } = order;
  const money = (value: string | null) =>
    value === null ? '-' : `${value}${order.currency ? ` ${order.currency}` : ''}`;
  const lines = [
    `${order.order_number} (${order.account}): ${order.status}`,
    `  supplier ref ${order.supplier_ref}, ordered ${order.order_date ?? '(no date)'}, expected delivery ${order.expected_delivery_date ?? '(none given)'}${order.test_flag === 'Y' ? ', TEST order' : ''}`,
    `  from ${order.file ?? '(unknown file)'} at ${order.created_at}${order.acknowledged_at ? `, acknowledged ${order.acknowledged_at}` : ''}`,
    `  deliver to: ${[delivery.title, delivery.name].filter(Boolean).join(' ') || '(no name)'}`,
    `    ${[...delivery.address, delivery.city, delivery.postcode, delivery.country].filter(Boolean).join(', ') || '(no address)'}`,
    `    phone ${delivery.phone ?? '-'}, e-mail ${delivery.email ?? '-'}`,
    '  lines:',
  ];
  for (const line of order.lines) {
    const done = [
      line.shipped_quantity && `${line.shipped_quantity} shipped`,
      line.cancelled_quantity && `${line.cancelled_quantity} cancelled`,
      line.refunded_quantity && `${line.refunded_quantity} refunded`,
      `${line.open_quantity} open`,
    ].filter(Boolean);
    lines.push(
      `    ${line.line_ref}  ${line.part_number}  ${line.sku ?? '(unknown product)'}  x${line.quantity}  (${done.join(', ')})`,
      `       ${line.description ?? '(no description)'}; price ${money(line.unit_price)}, cost ${money(line.unit_cost_price)}${line.promised_date ? `; promised ${line.promised_date}` : ''}`,
    );
  }
  if (order.errors.length) {
    lines.push('  errors:');
    for (const error of order.errors) lines.push(`    [${error.severity}] ${error.message}`);
  }
  if (order.updates.length) {
    lines.push('  updates:');
    for (const update of order.updates) {
      const when = update.sent_at ? `sent ${update.sent_at}` : `${update.status}, ${update.attempts} attempt(s)`;
      lines.push(
        `    #${update.id} ${update.flow} ${update.remote_name}: ${when}${update.last_error && !update.sent_at ? ` (last error: ${update.last_error})` : ''}`,
      );
    }
  }
  lines.push(...recordedUpdateLines(order.recorded_updates));
  if (order.exports.length) {
    lines.push('  exported:');
    for (const exported of order.exports) {
      const when = exported.written_at
        ? `written ${exported.written_at}`
        : `recorded ${exported.created_at}, not written yet`;
      lines.push(`    ${exported.destination}/${exported.file_name}: ${when}`);
    }
  }
  if (order.history.length) {
    lines.push('  history:');
    for (const event of order.history) {
      lines.push(
        event.event === 'replaced'
          ? `    ${event.created_at} replaced ${event.file ?? '(unknown file)'} by a corrected file; its errors were: ${event.detail.split('\n').join('; ')}`
          : `    ${event.created_at} dismissed: ${event.detail}`,
      );
    }
  }
  lines.push(...cancelRequestLines(order));
  return lines;
}

const LINE_OPTION_HELP =
  'a line and how many of its units (default all left); repeat for more lines; none = every unshipped unit';

/** `--line` may be given many times. */
function collectLines(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function recordedOutput(command: string, update: RecordedUpdate, dryRun: boolean): CommandOutput {
  const what = `${update.kind} of order ${update.order_number} (${update.account})`;
  const next = update.waiting_for ? `it waits for ${update.waiting_for}` : `${sendStepOf(update.kind)} sends it`;
  return okOutput({ command, recorded: !dryRun, ...update }, [
    dryRun
      ? `would record the ${what}: ${describeUpdate(update)}`
      : `recorded ${what} as update ${update.update_id}: ${describeUpdate(update)}`,
    dryRun ? 'dry run: nothing was stored' : next,
  ]);
}

function answerOutput(command: string, result: CancelRequestAnswerResult, dryRun: boolean): CommandOutput {
  const requests = result.requests.join(', ');
  const lines: string[] = [];
  if (result.answer === 'rejected') {
    lines.push(
      `${dryRun ? 'would reject' : 'rejected'} the cancellation request of order ${result.order_number} (${result.account}) from ${requests} (reason: ${result.reason}); no file is sent, its units may ship`,
    );
  } else {
    const cancelled = result.lines.map((line) => `line ${line.line_ref} x${line.quantity}`).join(', ');
    lines.push(
      dryRun
        ? `would accept the cancellation request of order ${result.order_number} (${result.account}) from ${requests}: cancel ${cancelled}`
        : `accepted the cancellation request of order ${result.order_number} (${result.account}) from ${requests}: recorded cancellation update ${result.update_id}: ${cancelled} (reason: ${result.reason})`,
    );
    if (!dryRun) lines.push(result.waiting_for ? `it waits for ${result.waiting_for}` : 'send-cancels sends it');
  }
  if (dryRun) lines.push('dry run: nothing was stored');
  const problems = result.not_cancelled.map(
    (s) =>
      `jl-edge ${command.replace(/^orders /, '')}: order ${result.order_number} line ${s.line_ref}: ${s.requested - s.cancelled} of ${s.requested} requested unit(s) not cancelled (${s.why})`,
  );
  // Requested units left uncancelled need a person (a refund, a word with the customer): exit 1.
  return {
    exitCode: problems.length > 0 ? ExitCode.itemsFailed : ExitCode.ok,
    json: { command, recorded: !dryRun, ...result },
    lines,
    problems,
  };
}

function importOutput(result: StepResult, dryRun: boolean): CommandOutput {
  return syncStepOutput(result, dryRun, (details) =>
    ((details.recorded_shipments as ImportedShipment[] | undefined) ?? []).map(
      (shipment) =>
        `order ${shipment.order_number}: ${describeUpdate(shipment)} from line(s) ${shipment.rows.join(', ')}`,
    ),
  );
}

/** `orders list|show|ship|cancel|refund`, and `import-shipments` (shipments in bulk). */
export function registerOrders(program: Command): void {
  const orders = program
    .command('orders')
    .description('look at orders; record shipments, cancellations and refunds')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge orders list --status incomplete
  $ jl-edge orders show Y100012345
  $ jl-edge orders ship Y100012345 --carrier dpd --tracking 15501234567890
  $ jl-edge orders cancel Y100012345 --reason "Out of stock" --line 2:1
  $ jl-edge orders refund Y100012345 --reason "Returned" --line 1`,
    );

  orders
    .command('list')
    .description('list orders, oldest first')
    .option(
      '--status <status>',
      'only orders in this status (awaiting_ack, incomplete, ready_to_ship, partially_shipped, shipped, cancelled, dismissed), or cancel_requested: orders with an open customer cancellation request',
    )
    .addOption(
      new Option('--late', 'only orders with a line past its dispatch date, oldest due first').conflicts('dueToday'),
    )
    .option('--due-today', 'only orders with a line due for dispatch today, oldest due first')
    .option(
      '--since <date>',
      'only orders received from this date (yyyy-mm-dd, London time) or time (ISO-8601 with zone)',
    )
    .option(
      '--limit <n>',
      `list at most n orders, the first ones in the listing's order (default ${DEFAULT_LIST_LIMIT}; with --json: every one)`,
      parsePositiveInt,
    )
    .addHelpText(
      'after',
      `
A line's dispatch date is its promised_date, else the order's expected_delivery_date minus the lead
time (the product's, else the account's); --late and --due-today add a DUE column (due_date in --json):
the earliest such date among the order's lines. A listing cut short by the limit ends with a line
saying how many orders it left out.

Examples:
  $ jl-edge orders list --status incomplete
  $ jl-edge orders list --status cancel_requested
  $ jl-edge orders list --late
  $ jl-edge orders list --since 2026-03-01 --limit 200
  $ jl-edge orders list --account acme --json`,
    )
    .action(
      handler(async (ctx, _args, { status, late, dueToday, since, limit }): Promise<CommandOutput> => {
        const { listOrders, parseOrderStatus, parseSince } = await import('../commands/orders.js');
        const due = late ? 'late' : dueToday ? 'due_today' : undefined;
        const listing = await listOrders(ctx, {
          status: status === undefined ? undefined : parseOrderStatus(status),
          due,
          since: since === undefined ? undefined : parseSince(since),
          // A terminal is not flooded by a year of orders; a script asking for JSON gets what it asked for.
          limit: limit ?? (ctx.options.json ? undefined : DEFAULT_LIST_LIMIT),
        });
        const lines = orderTable(listing.orders, due !== undefined);
        const left = listing.total - listing.orders.length;
        if (left > 0)
          lines.push(
            `… ${left.toLocaleString('en-GB')} more order${left === 1 ? '' : 's'} not listed (--limit n lists more, --since date starts later, --json lists every one)`,
          );
        return okOutput(listing.orders, lines);
      }),
    );

  orders
    .command('show <order_number>')
    .description(
      'show an order: delivery name, address and contact, dates, lines with prices and quantities, errors, updates, history',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge orders show Y100012345
  $ jl-edge orders show y100012345 --account acme --json   (order numbers match whatever their case)`,
    )
    .action(
      handler(async (ctx, [orderNumber]): Promise<CommandOutput> => {
        const { showOrder } = await import('../commands/orders.js');
        const view = await showOrder(ctx, orderNumber);
        return okOutput(view, orderDetail(view));
      }),
    );

  orders
    .command('dismiss <order_number>')
    .description('close an incomplete order a person has dealt with outside the tool, so status stops flagging it')
    .requiredOption('--reason <text>', 'why (kept in the order history)')
    .addHelpText(
      'after',
      `
An incomplete order (its file had errors) is never acknowledged. A corrected order file for it
replaces it when download-orders reads one; dismiss it when it was dealt with another way.

Examples:
  $ jl-edge orders dismiss Y100000009 --reason "handled by phone with John Lewis, ticket 4471"
  $ jl-edge orders dismiss Y100000009 --reason "test order" --dry-run`,
    )
    .action(
      handler(async (ctx, [orderNumber], { reason }): Promise<CommandOutput> => {
        const { dismissOrder } = await import('../commands/orders.js');
        const view = await dismissOrder(ctx, orderNumber, reason);
        return okOutput(view, [
          ctx.options.dryRun
            ? `would dismiss order ${view.order_number}: dry run, nothing was stored`
            : `dismissed order ${view.order_number} (${view.account}): ${reason}`,
        ]);
      }),
    );

  orders
    .command('ship <order_number>')
    .description('record a shipment of an order (send-shipments sends it)')
    .requiredOption(
      '--carrier <carrier>',
      "The Edge's carrier code (dpd, royal-mail, …) or a name in the account's carrier map",
    )
    .requiredOption('--tracking <number>', 'tracking number')
    .option('--tracking-url <url>', 'tracking address')
    .option('--date <yyyy-mm-dd>', 'dispatch date (default: today, London time)')
    .option('--delivery-date <yyyy-mm-dd>', 'expected delivery (default: dispatch + lead time - handling days)')
    .option('--line <line_ref[:qty]>', LINE_OPTION_HELP, collectLines)
    .option('--force', "ship units under the customer's open cancellation request; the request is closed as rejected")
    .addHelpText(
      'after',
      `
Only ready_to_ship and partially_shipped orders ship, never more units than are left (ordered minus
shipped, cancelled, and recorded but not yet sent), and never units the customer asked to cancel
while that request is open (answer it with orders accept-cancel or reject-cancel, or use --force).
Refused: exit 1 (the order does not allow it) or 2 (unknown order, line or carrier; a malformed
option), with the reason.

Examples:
  $ jl-edge orders ship Y100012345 --carrier dpd --tracking 15501234567890
  $ jl-edge orders ship Y100012345 --carrier "DPD Next Day" --tracking 155012 --line 1:2 --line 3 --date 2026-03-02`,
    )
    .action(
      handler(async (ctx, [orderNumber], { line, ...flags }) => {
        const { shipOrder } = await import('../commands/orders-ship.js');
        const result = await shipOrder(ctx, orderNumber, { ...flags, lines: line ?? [] });
        return recordedOutput('orders ship', result, ctx.options.dryRun);
      }),
    );

  orders
    .command('cancel <order_number>')
    .description('record a cancellation of unshipped units (send-cancels sends it)')
    .requiredOption('--reason <reason>', 'why, as sent to John Lewis (e.g. "Out of stock")')
    .option('--line <line_ref[:qty]>', LINE_OPTION_HELP, collectLines)
    .addHelpText(
      'after',
      `
Only units neither shipped nor cancelled. An order whose acknowledgement is not sent yet may be
cancelled: the cancellation waits until ack-orders has sent the acknowledgement. When every unit is
cancelled the order becomes cancelled. A shipped unit is refunded (orders refund), not cancelled.

Examples:
  $ jl-edge orders cancel Y100012345 --reason "Out of stock"
  $ jl-edge orders cancel Y100012345 --reason "Damaged in warehouse" --line 2:1`,
    )
    .action(
      handler(async (ctx, [orderNumber], { reason, line }) => {
        const { cancelOrder } = await import('../commands/orders-cancel.js');
        const result = await cancelOrder(ctx, orderNumber, { reason, lines: line ?? [] });
        return recordedOutput('orders cancel', result, ctx.options.dryRun);
      }),
    );

  orders
    .command('refund <order_number>')
    .description('record a refund (a cancellation after dispatch) of shipped units (send-refunds sends it)')
    .requiredOption('--reason <reason>', 'why (kept with the order)')
    .addOption(
      new Option(
        '--line <line_ref[:qty]>',
        'a refunded line and how many units (default all shipped, unrefunded); repeatable',
      )
        .argParser(collectLines)
        .makeOptionMandatory(),
    )
    .option('--amount <amount>', 'refund amount in pounds for one line: must be whole units of its unit price')
    .addHelpText(
      'after',
      `
Whole shipped units only, not already refunded. An amount must be an exact multiple of the line's
unit price from the order file (refused when the file gave none) and says how many units.

Examples:
  $ jl-edge orders refund Y100012345 --reason "Customer return" --line 1:1
  $ jl-edge orders refund Y100012345 --reason "Faulty" --line 2 --amount 28.00`,
    )
    .action(
      handler(async (ctx, [orderNumber], { reason, line, amount }) => {
        const { refundOrder } = await import('../commands/orders-refund.js');
        const result = await refundOrder(ctx, orderNumber, { reason, lines: line, amount });
        return recordedOutput('orders refund', result, ctx.options.dryRun);
      }),
    );

  orders
    .command('accept-cancel <order_number>')
    .description("accept the customer's cancellation request: record the cancellation (send-cancels sends it)")
    .addHelpText(
      'after',
      `
Records a pre-shipment cancellation of the requested units that are still open and closes every open
request of the order as accepted. Units shipped (or recorded for shipment) meanwhile cannot be
cancelled: they are reported (exit 1), and refunded with orders refund if the customer sends them back.

Examples:
  $ jl-edge orders accept-cancel Y100012345
  $ jl-edge orders accept-cancel Y100012345 --dry-run`,
    )
    .action(
      handler(async (ctx, [orderNumber]) => {
        const { acceptCancel } = await import('../commands/cancel-requests.js');
        return answerOutput('orders accept-cancel', await acceptCancel(ctx, orderNumber), ctx.options.dryRun);
      }),
    );

  orders
    .command('reject-cancel <order_number>')
    .description("reject the customer's cancellation request: close it and ship as usual (no file is sent)")
    .requiredOption('--reason <reason>', 'why, kept with the request (e.g. "already with the courier")')
    .addHelpText(
      'after',
      `
The Edge documents no rejection file, so a rejection is recorded here only: the requested units may
ship again.

Example:
  $ jl-edge orders reject-cancel Y100012345 --reason "already with the courier"`,
    )
    .action(
      handler(async (ctx, [orderNumber], { reason }) => {
        const { rejectCancel } = await import('../commands/cancel-requests.js');
        return answerOutput('orders reject-cancel', await rejectCancel(ctx, orderNumber, reason), ctx.options.dryRun);
      }),
    );

  withInboxOptions(program.command('import-shipments [file]'))
    .description('record shipments in bulk from a CSV warehouse export ("-" reads stdin), or from an inbox (--from)')
    .option('--strict', 'record nothing from a file with any rejected row')
    .option('--force', "ship units under customers' open cancellation requests; those requests are closed as rejected")
    .addHelpText(
      'after',
      `
Columns (header names matched leniently; order does not matter):
  order_number, line_ref | part_number | sku, quantity, carrier, tracking_number,
  tracking_url (optional), dispatch_date (optional, default today), delivery_date (optional)
Rows of one order with the same carrier and tracking number are one shipment. A bad row is
reported with its line, column and reason (exit 1); the good rows are recorded. A row shipping units
the customer asked to cancel is refused while the request is open, unless --force (never from an inbox).
${INBOX_HELP}

Examples:
  $ jl-edge import-shipments dispatched-today.csv --account acme
  $ warehouse-export | jl-edge import-shipments - --dry-run
  $ jl-edge import-shipments --from shed --quiet          (cron: the inbox of destination "shed")`,
    )
    .action(
      handler((ctx, [file], { force, ...options }) =>
        fileOrInbox(ctx, 'import-shipments', file, options, async (path, strict) => {
          const { importShipments } = await import('../commands/import-shipments.js');
          const { buffer } = await import('node:stream/consumers');
          const result = await importShipments(ctx, path, () => buffer(process.stdin), {
            strict,
            force: force === true,
          });
          return importOutput(result, ctx.options.dryRun);
        }),
      ),
    );
}
