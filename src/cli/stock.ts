import type { Command } from 'commander';
import { action, withGlobalOptions } from '../cli.js';
import { ExitCode } from '../core/errors.js';
import type { StepResult } from '../core/step.js';
import type { ErrorFileReport, InventoryLineView } from '../commands/push-stock.js';
import type { ClearResult, StockErrorView } from '../commands/stock-errors.js';
import { stepOutput, type CommandOutput } from './output.js';

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

function errorLines(views: StockErrorView[]): string[] {
  if (views.length === 0) return ['no open stock errors'];
  return views.map(
    (e) =>
      `${e.account}  ${e.part_number}  ${e.sku ?? '(no product with this part number)'}  ${e.received_at}  ${e.message}${e.file ? `  [${e.file}]` : ''}`,
  );
}

function clearLines(result: ClearResult): string[] {
  const verb = result.dry_run ? 'would clear' : 'cleared';
  const what =
    result.part_number === null ? 'open stock error(s)' : `open stock error(s) of part number ${result.part_number}`;
  return result.accounts.map((a) => `stock-errors ${a.account}: ${verb} ${a.cleared} ${what}`);
}

export function registerStock(program: Command): void {
  withGlobalOptions(program.command('push-stock'))
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
      action(async (ctx, _args, command) => {
        const { pushStock } = await import('../commands/push-stock.js');
        const full = (command.opts() as { full?: boolean }).full === true;
        return pushStockOutput(await pushStock(ctx, { full }), ctx.options.dryRun);
      }),
    );

  const stockErrors = program
    .command('stock-errors')
    .description('the inventory lines The Edge rejected, until superseded or cleared');

  withGlobalOptions(stockErrors.command('list'))
    .description('list open stock errors: part number, product, when, message and the error file')
    .addHelpText(
      'after',
      `
An error stays open until a later push of its product that no new error names, or until cleared.

Examples:
  $ jl-edge stock-errors list
  $ jl-edge stock-errors list --account acme --json`,
    )
    .action(
      action(async (ctx): Promise<CommandOutput> => {
        const { listStockErrors } = await import('../commands/stock-errors.js');
        const views = await listStockErrors(ctx);
        return { exitCode: ExitCode.ok, json: views, lines: errorLines(views), problems: [] };
      }),
    );

  withGlobalOptions(stockErrors.command('clear [part_number]'))
    .description('clear the open stock errors of one part number, or all of them with --all')
    .option('--all', 'clear every open stock error (of --account, or of every account)')
    .addHelpText(
      'after',
      `
Clearing only hides the error; a product marked for re-send is still sent by the next push-stock.

Examples:
  $ jl-edge stock-errors clear 12345678 --account acme
  $ jl-edge stock-errors clear --all --dry-run`,
    )
    .action(
      action(async (ctx, [partNumber], command): Promise<CommandOutput> => {
        const { clearStockErrors } = await import('../commands/stock-errors.js');
        const all = (command.opts() as { all?: boolean }).all === true;
        const result = await clearStockErrors(ctx, {
          partNumber: partNumber === undefined ? undefined : String(partNumber),
          all,
        });
        return { exitCode: ExitCode.ok, json: result, lines: clearLines(result), problems: [] };
      }),
    );
}
