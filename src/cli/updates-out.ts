import { Option, type Command } from 'commander';
import { action, withGlobalOptions } from '../cli.js';
import { ExitCode } from '../core/errors.js';
import type { StepResult } from '../core/step.js';
import type { ImportedShipment } from '../commands/import-shipments.js';
import type { RecordedUpdate } from '../commands/record-update.js';
import type { CommandOutput } from './output.js';
import { describeAcknowledgements, ordersGroup, syncStepOutput } from './orders.js';
import { describeUpdate, sendStepOf } from './recorded-updates.js';
import { INBOX_HELP, fileOrInbox, withInboxOptions } from './warehouse.js';

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

export function registerUpdatesOut(program: Command): void {
  const orders = ordersGroup(program);

  withGlobalOptions(orders.command('ship <order_number>'))
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
      action(async (ctx, [orderNumber], command) => {
        const flags = command.opts() as {
          carrier: string;
          tracking: string;
          trackingUrl?: string;
          date?: string;
          deliveryDate?: string;
          line?: string[];
        };
        const { shipOrder } = await import('../commands/orders-ship.js');
        const result = await shipOrder(ctx, String(orderNumber), { ...flags, lines: flags.line ?? [] });
        return recordedOutput('orders ship', result, ctx.options.dryRun);
      }),
    );

  withGlobalOptions(orders.command('cancel <order_number>'))
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
      action(async (ctx, [orderNumber], command) => {
        const flags = command.opts() as { reason: string; line?: string[] };
        const { cancelOrder } = await import('../commands/orders-cancel.js');
        const result = await cancelOrder(ctx, String(orderNumber), { reason: flags.reason, lines: flags.line ?? [] });
        return recordedOutput('orders cancel', result, ctx.options.dryRun);
      }),
    );

  withGlobalOptions(orders.command('refund <order_number>'))
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
      action(async (ctx, [orderNumber], command) => {
        const flags = command.opts() as { reason: string; line: string[]; amount?: string };
        const { refundOrder } = await import('../commands/orders-refund.js');
        const result = await refundOrder(ctx, String(orderNumber), {
          reason: flags.reason,
          lines: flags.line,
          amount: flags.amount,
        });
        return recordedOutput('orders refund', result, ctx.options.dryRun);
      }),
    );

  withInboxOptions(withGlobalOptions(program.command('import-shipments [file]')))
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
      action((ctx, [file], command) =>
        fileOrInbox(ctx, 'import-shipments', file, command, async (path, strict) => {
          const { importShipments } = await import('../commands/import-shipments.js');
          const { buffer } = await import('node:stream/consumers');
          const result = await importShipments(ctx, path, () => buffer(process.stdin), strict);
          return importOutput(result, ctx.options.dryRun);
        }),
      ),
    );

  const sendSteps = [
    [
      'send-shipments',
      'send a tracking file for every order with recorded, unsent shipments (cron step)',
      'every shipped line with its full shipped quantity so far',
    ],
    [
      'send-cancels',
      'send a cancellation acknowledgement for every order with recorded, unsent cancellations (cron step)',
      'the cancelled units of each line',
    ],
    [
      'send-refunds',
      'send a post-dispatch cancellation for every order with recorded, unsent refunds (cron step)',
      'only the refunded lines, comment CANCELLED POST-DISPATCH',
    ],
  ] as const;
  for (const [step, description, content] of sendSteps) {
    withGlobalOptions(program.command(step))
      .description(description)
      .addHelpText(
        'after',
        `
One file per order, listing ${content}. Nothing is sent for an order before its
acknowledgement, and one file per order is in flight at a time: a later update waits for the next
run. Each file is stored under its final name before it is uploaded; a run that fails midway is
finished by the next run with the same file. Counts: sent, failed (gave up after repeated failures:
see status), pending (retried on the next run), waiting (orders that must wait, and why).

Examples:
  $ jl-edge ${step} --account acme
  $ jl-edge ${step} --dry-run        (prints every file it would send)`,
      )
      .action(
        action(async (ctx) => {
          const commands = {
            'send-shipments': async () => (await import('../commands/send-shipments.js')).sendShipments(ctx),
            'send-cancels': async () => (await import('../commands/send-cancels.js')).sendCancels(ctx),
            'send-refunds': async () => (await import('../commands/send-refunds.js')).sendRefunds(ctx),
          };
          return syncStepOutput(await commands[step](), ctx.options.dryRun, describeAcknowledgements);
        }),
      );
  }
}
