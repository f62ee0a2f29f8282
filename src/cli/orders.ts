import { Option, type Command } from '@commander-js/extra-typings';
import { ExitCode } from '../core/errors.js';
import type { StepResult } from '../core/step.js';
import type { ImportedShipment } from '../commands/import-shipments.js';
import type { OrderView } from '../commands/orders.js';
import type { RecordedUpdate } from '../commands/record-update.js';
import { handler } from './action.js';
import type { CommandOutput } from './output.js';
import { describeUpdate, recordedUpdateLines, sendStepOf } from './recorded-updates.js';
import { syncStepOutput } from './steps.js';
import { INBOX_HELP, fileOrInbox, withInboxOptions } from './warehouse.js';

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

function orderDetail(order: OrderView): string[] {
  const lines = [
    `${order.order_number} (${order.account}): ${order.status}`,
    `  supplier ref ${order.supplier_ref}, ordered ${order.order_date ?? '(no date)'}${order.test_flag === 'Y' ? ', TEST order' : ''}`,
    `  from ${order.file ?? '(unknown file)'} at ${order.created_at}${order.acknowledged_at ? `, acknowledged ${order.acknowledged_at}` : ''}`,
    '  lines:',
  ];
  for (const line of order.lines) {
    const done = [
      line.shipped_quantity && `${line.shipped_quantity} shipped`,
      line.cancelled_quantity && `${line.cancelled_quantity} cancelled`,
      line.refunded_quantity && `${line.refunded_quantity} refunded`,
    ].filter(Boolean);
    lines.push(
      `    ${line.line_ref}  ${line.part_number}  ${line.sku ?? '(unknown product)'}  x${line.quantity}${done.length ? `  (${done.join(', ')})` : ''}`,
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
  lines.push(...recordedUpdateLines(order.recorded_updates ?? []));
  if (order.exports?.length) {
    lines.push('  exported:');
    for (const exported of order.exports) {
      const when = exported.written_at
        ? `written ${exported.written_at}`
        : `recorded ${exported.created_at}, not written yet`;
      lines.push(`    ${exported.destination}/${exported.file_name}: ${when}`);
    }
  }
  return lines;
}

/** `--line` may be given many times. */
function collectLines(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function recordedOutput(command: string, update: RecordedUpdate, dryRun: boolean): CommandOutput {
  const what = `${update.kind} of order ${update.order_number} (${update.account})`;
  const next = update.waiting_for ? `it waits for ${update.waiting_for}` : `${sendStepOf(update.kind)} sends it`;
  return {
    exitCode: ExitCode.ok,
    json: { command, recorded: !dryRun, ...update },
    lines: [
      dryRun
        ? `would record the ${what}: ${describeUpdate(update)}`
        : `recorded ${what} as update ${update.update_id}: ${describeUpdate(update)}`,
      dryRun ? 'dry run: nothing was stored' : next,
    ],
    problems: [],
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
  const orders = program.command('orders').description('look at orders; record shipments, cancellations and refunds');

  orders
    .command('list')
    .description('list orders, oldest first')
    .option(
      '--status <status>',
      'only orders in this status (awaiting_ack, incomplete, ready_to_ship, partially_shipped, shipped, cancelled)',
    )
    .addOption(
      new Option('--late', 'only orders with a line past its dispatch date, oldest due first').conflicts('dueToday'),
    )
    .option('--due-today', 'only orders with a line due for dispatch today, oldest due first')
    .addHelpText(
      'after',
      `
A line's dispatch date is its promised_date, else the order's expected_delivery_date minus the lead
time (the product's, else the account's); --late and --due-today add a DUE column (due_date in --json):
the earliest such date among the order's lines.

Examples:
  $ jl-edge orders list --status incomplete
  $ jl-edge orders list --late
  $ jl-edge orders list --account acme --json`,
    )
    .action(
      handler(async (ctx, _args, { status, late, dueToday }): Promise<CommandOutput> => {
        const { listOrders, parseOrderStatus } = await import('../commands/orders.js');
        const due = late ? 'late' : dueToday ? 'due_today' : undefined;
        const views = await listOrders(ctx, {
          status: status === undefined ? undefined : parseOrderStatus(status),
          due,
        });
        return { exitCode: ExitCode.ok, json: views, lines: orderTable(views, due !== undefined), problems: [] };
      }),
    );

  orders
    .command('show <order_number>')
    .description('show an order: its lines, errors, and the updates sent for it')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge orders show Y100012345
  $ jl-edge orders show Y100012345 --account acme --json`,
    )
    .action(
      handler(async (ctx, [orderNumber]): Promise<CommandOutput> => {
        const { showOrder } = await import('../commands/orders.js');
        const view = await showOrder(ctx, orderNumber);
        return { exitCode: ExitCode.ok, json: view, lines: orderDetail(view), problems: [] };
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
    .option(
      '--line <line_ref[:qty]>',
      'a line and how many of its units (default all left); repeat for more lines; none = every unshipped unit',
      collectLines,
    )
    .addHelpText(
      'after',
      `
Only ready_to_ship and partially_shipped orders ship, never more units than are left (ordered minus
shipped, cancelled, and recorded but not yet sent). Refused: exit 1 (the order does not allow it) or
2 (unknown order, line or carrier; a malformed option), with the reason.

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
    .option(
      '--line <line_ref[:qty]>',
      'a line and how many of its units (default all left); repeat for more lines; none = every unshipped unit',
      collectLines,
    )
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

  withInboxOptions(program.command('import-shipments [file]'))
    .description('record shipments in bulk from a CSV warehouse export ("-" reads stdin), or from an inbox (--from)')
    .option('--strict', 'record nothing from a file with any rejected row')
    .addHelpText(
      'after',
      `
Columns (header names matched leniently; order does not matter):
  order_number, line_ref | part_number | sku, quantity, carrier, tracking_number,
  tracking_url (optional), dispatch_date (optional, default today), delivery_date (optional)
Rows of one order with the same carrier and tracking number are one shipment. A bad row is
reported with its line, column and reason (exit 1); the good rows are recorded.
${INBOX_HELP}

Examples:
  $ jl-edge import-shipments dispatched-today.csv --account acme
  $ warehouse-export | jl-edge import-shipments - --dry-run
  $ jl-edge import-shipments --from shed --quiet          (cron: the inbox of destination "shed")`,
    )
    .action(
      handler((ctx, [file], options) =>
        fileOrInbox(ctx, 'import-shipments', file, options, async (path, strict) => {
          const { importShipments } = await import('../commands/import-shipments.js');
          const { buffer } = await import('node:stream/consumers');
          const result = await importShipments(ctx, path, () => buffer(process.stdin), strict);
          return importOutput(result, ctx.options.dryRun);
        }),
      ),
    );
}
