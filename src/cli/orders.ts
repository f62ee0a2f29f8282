import type { Command } from 'commander';
import { action, withGlobalOptions } from '../cli.js';
import { ExitCode } from '../core/errors.js';
import { formatItemError, type ItemError, type StepResult } from '../core/step.js';
import type { FileReport } from '../commands/download-orders.js';
import type { PlannedFile } from '../commands/ack-orders.js';
import type { OrderView } from '../commands/orders.js';
import { stepOutput, type CommandOutput } from './output.js';
import { recordedUpdateLines } from './recorded-updates.js';

/**
 * The human form of a sync step: the standard per-account line, notes that are not failures (an unknown
 * part number), and for a dry run what would have been stored or sent.
 */
export function syncStepOutput(
  result: StepResult,
  dryRun: boolean,
  describe: (details: Record<string, unknown>) => string[],
): CommandOutput {
  const output = stepOutput(result);
  for (const outcome of result.accounts) {
    const details = outcome.details ?? {};
    for (const warning of (details.warnings as ItemError[] | undefined) ?? []) {
      output.lines.push(`${result.command} ${outcome.account}: ${formatItemError(warning)}`);
    }
    if (dryRun) output.lines.push(...describe(details).map((line) => `  ${line}`));
  }
  if (dryRun) output.lines.push('dry run: nothing was stored, sent, moved or deleted');
  return output;
}

function describeDownloads(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const file of (details.files as FileReport[] | undefined) ?? []) {
    const order = file.order_number ? `order ${file.order_number}` : 'no order';
    lines.push(`${file.file}: would be ${file.outcome}: ${order}, ${file.lines} line(s)`);
    for (const problem of file.problems) lines.push(`  ${problem}`);
  }
  for (const name of (details.not_ready as string[] | undefined) ?? [])
    lines.push(`${name}: not ready (no .DONE marker yet)`);
  return lines;
}

export function describeAcknowledgements(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const file of (details.files as PlannedFile[] | undefined) ?? []) {
    const why = file.resend ? 'stored by an earlier run, would be sent again unchanged' : 'would be stored and sent';
    lines.push(`${file.remote_path} (order ${file.order_number}; ${why}; then ${file.remote_path}.DONE):`);
    lines.push(
      ...file.content
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `  ${line}`),
    );
  }
  return lines;
}

function orderTable(orders: OrderView[]): string[] {
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
  ]);
  const header = ['ORDER', 'ACCOUNT', 'STATUS', 'LINES', 'UNITS', 'ERRORS', 'RECEIVED'];
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

/** The `orders` command group; `orders ship|cancel|refund` are added to the same group with this. */
export function ordersGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'orders') ??
    program.command('orders').description('look at orders; record shipments, cancellations and refunds')
  );
}

export function registerOrders(program: Command): void {
  withGlobalOptions(program.command('download-orders'))
    .description('read every ready order file from OrderDownload and store its order (cron step)')
    .option('--archive-to <dir>', 'after storing, move each order file and its marker into this remote folder')
    .option('--delete', 'after storing, delete each order file and its marker (the raw file stays in the database)')
    .addHelpText(
      'after',
      `
Reads order-<token>.txt only once its .DONE marker exists, stores each file once, and leaves the
remote files in place unless --archive-to or --delete is given. Counts: downloaded (new orders),
incomplete (stored, never acknowledged: see orders show), duplicates, rejected (no order number),
skipped (not ready yet or already stored).

Examples:
  $ jl-edge download-orders --account acme
  $ jl-edge download-orders --archive-to /live/incoming/archive --quiet   (cron)
  $ jl-edge download-orders --dry-run                                     (what would be stored)`,
    )
    .action(
      action(async (ctx, _args, command) => {
        const flags = command.opts() as { archiveTo?: string; delete?: boolean };
        const { downloadOrders } = await import('../commands/download-orders.js');
        const result = await downloadOrders(ctx, { archiveTo: flags.archiveTo, delete: flags.delete === true });
        return syncStepOutput(result, ctx.options.dryRun, describeDownloads);
      }),
    );

  withGlobalOptions(program.command('ack-orders'))
    .description('send the acknowledgement of every order awaiting one (cron step)')
    .addHelpText(
      'after',
      `
Each acknowledgement is stored under its final name before it is uploaded; a run that fails midway
is finished by the next run with the same file. Counts: sent, failed (gave up after repeated
failures: see status), pending (retried on the next run).

Examples:
  $ jl-edge ack-orders --account acme
  $ jl-edge ack-orders --dry-run        (prints every file it would send)`,
    )
    .action(
      action(async (ctx) => {
        const { ackOrders } = await import('../commands/ack-orders.js');
        return syncStepOutput(await ackOrders(ctx), ctx.options.dryRun, describeAcknowledgements);
      }),
    );

  const orders = ordersGroup(program);

  withGlobalOptions(orders.command('list'))
    .description('list orders, oldest first')
    .option(
      '--status <status>',
      'only orders in this status (awaiting_ack, incomplete, ready_to_ship, partially_shipped, shipped, cancelled)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge orders list --status incomplete
  $ jl-edge orders list --account acme --json`,
    )
    .action(
      action(async (ctx, _args, command): Promise<CommandOutput> => {
        const { listOrders, parseOrderStatus } = await import('../commands/orders.js');
        const status = (command.opts() as { status?: string }).status;
        const views = await listOrders(ctx, { status: status === undefined ? undefined : parseOrderStatus(status) });
        return { exitCode: ExitCode.ok, json: views, lines: orderTable(views), problems: [] };
      }),
    );

  withGlobalOptions(orders.command('show <order_number>'))
    .description('show an order: its lines, errors, and the updates sent for it')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge orders show Y100012345
  $ jl-edge orders show Y100012345 --account acme --json`,
    )
    .action(
      action(async (ctx, [orderNumber]): Promise<CommandOutput> => {
        const { showOrder } = await import('../commands/orders.js');
        const view = await showOrder(ctx, String(orderNumber));
        return { exitCode: ExitCode.ok, json: view, lines: orderDetail(view), problems: [] };
      }),
    );
}
