import type { Command } from '@commander-js/extra-typings';
import { formatItemError, type ItemError, type StepResult } from '../core/step.js';
import type { FileReport } from '../commands/download-orders.js';
import type { CancelFileReport } from '../commands/download-orders/cancel-requests.js';
import type { PlannedFile } from '../commands/ack-orders.js';
import type { ErrorFileReport, InventoryLineView } from '../commands/push-stock.js';
import { handler } from './action.js';
import { filePreview, stepOutput, type CommandOutput } from './output.js';

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
  for (const file of (details.cancel_request_files as CancelFileReport[] | undefined) ?? []) {
    const order = file.order_number ? `order ${file.order_number}` : 'no order';
    lines.push(
      `${file.file}: cancellation request would be ${file.outcome}: ${order}, ${file.lines.join(', ') || 'no units'}`,
    );
    for (const problem of file.problems) lines.push(`  ${problem}`);
  }
  return lines;
}

function describeOutgoingFiles(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const file of (details.files as PlannedFile[] | undefined) ?? []) {
    const why = file.resend ? 'stored by an earlier run, would be sent again unchanged' : 'would be stored and sent';
    lines.push(
      ...filePreview(
        `${file.remote_path} (order ${file.order_number}; ${why}; then ${file.remote_path}.DONE):`,
        file.content,
      ),
    );
  }
  return lines;
}

/** The standard step output; a dry run adds the error files it would record and the rows it would send. */
function pushStockOutput(result: StepResult, dryRun: boolean): CommandOutput {
  const output = stepOutput(result);
  if (!dryRun) return output;
  for (const outcome of result.accounts) {
    const details = outcome.details ?? {};
    for (const file of (details.error_files as ErrorFileReport[] | undefined) ?? []) {
      output.lines.push(`  ${file.file}: would record ${file.errors.length} stock error(s)`);
      for (const error of file.errors)
        output.lines.push(`    line ${error.line}: ${error.part_number}: ${error.message}`);
    }
    const rows = (details.rows as InventoryLineView[] | undefined) ?? [];
    if (rows.length === 0) {
      output.lines.push(
        `  nothing to send (${details.mode === 'full' ? 'no product has a channel item id' : 'no product changed since the last push'})`,
      );
      continue;
    }
    output.lines.push(`  would send a ${details.mode} inventory file of ${rows.length} row(s):`);
    output.lines.push(`    ${Object.keys(rows[0]).join(',')}`);
    for (const row of rows) output.lines.push(`    ${Object.values(row).join(',')}`);
  }
  output.lines.push('dry run: nothing was stored, sent or marked');
  return output;
}

/** The cron steps (SPEC §5.6) and `sync`, which runs them all. */
export function registerSteps(program: Command): void {
  program
    .command('download-orders')
    .description('read every ready order file from OrderDownload and store its order (cron step)')
    .option('--archive-to <dir>', 'after storing, move each order file and its marker into this remote folder')
    .option('--delete', 'after storing, delete each order file and its marker (the raw file stays in the database)')
    .addHelpText(
      'after',
      `
Reads order-<token>.txt only once its .DONE marker exists, stores each file once, and leaves the
remote files in place unless --archive-to or --delete is given. Counts: downloaded (new orders),
incomplete (stored, never acknowledged: see orders show), duplicates, rejected (no order number),
skipped (not ready yet or already stored). Then reads the customers' cancellation requests
(cancel-<token>.txt in CancellationRequest) by the same rules: cancel requests (stored), applied
(earlier requests whose order arrived), accepted (with auto_accept_cancellations).

Examples:
  $ jl-edge download-orders --account acme
  $ jl-edge download-orders --archive-to /live/incoming/archive --quiet   (cron)
  $ jl-edge download-orders --dry-run                                     (what would be stored)`,
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { downloadOrders } = await import('../commands/download-orders.js');
        const result = await downloadOrders(ctx, { archiveTo: options.archiveTo, delete: options.delete === true });
        return syncStepOutput(result, ctx.options.dryRun, describeDownloads);
      }),
    );

  program
    .command('ack-orders')
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
      handler(async (ctx) => {
        const { SYNC_STEP_RUNNERS } = await import('../commands/sync-steps.js');
        return syncStepOutput(await SYNC_STEP_RUNNERS['ack-orders'](ctx), ctx.options.dryRun, describeOutgoingFiles);
      }),
    );

  program
    .command('push-stock')
    .description('read the stock error files, then build and upload the inventory file (cron step)')
    .option('--full', 'send every product with a channel item id, not only the changes (the nightly run)')
    .addHelpText(
      'after',
      `
First stores every new stock error file of StockUpdateError and marks the products it names for
re-send. Then sends a delta (products whose stock, lead time or traded code changed since the last
successful push, plus those marked for re-send), or every listed product with --full, as
inventory-<token>.csv: built locally, uploaded in one write under its final name (no .DONE marker),
size-checked, and only then recorded as pushed. A failed upload is removed from the server and its
products go out with the next run. Counts: sent (rows), files, errors read.

Examples:
  $ jl-edge push-stock --account acme              (every few minutes: the changes)
  $ jl-edge push-stock --full --quiet              (nightly: the whole catalogue)
  $ jl-edge push-stock --dry-run                   (prints the rows it would send)`,
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { pushStock } = await import('../commands/push-stock.js');
        return pushStockOutput(await pushStock(ctx, { full: options.full === true }), ctx.options.dryRun);
      }),
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
    program
      .command(step)
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
        handler(async (ctx) => {
          const { SYNC_STEP_RUNNERS } = await import('../commands/sync-steps.js');
          return syncStepOutput(await SYNC_STEP_RUNNERS[step](ctx), ctx.options.dryRun, describeOutgoingFiles);
        }),
      );
  }

  program
    .command('sync')
    .description(
      'run every sync step once, in order, per account (download, ack, push-stock, send-shipments, send-cancels, send-refunds)',
    )
    .addHelpText(
      'after',
      `
One step failing does not stop the others; the exit code is the worst of them.

Examples:
  $ jl-edge sync --quiet            (the one cron line of a small seller)
  $ jl-edge sync --account acme --dry-run`,
    )
    .action(
      handler(async (ctx) => {
        const { sync } = await import('../commands/sync.js');
        const result = await sync(ctx);
        const outputs = result.steps.map(stepOutput);
        return {
          exitCode: result.exitCode,
          json: { command: 'sync', exit_code: result.exitCode, steps: outputs.map((o) => o.json) },
          lines: outputs.flatMap((o) => o.lines),
          problems: outputs.flatMap((o) => o.problems),
        };
      }),
    );
}
