import type { Command } from '@commander-js/extra-typings';
import type { ClearResult, StockErrorView } from '../commands/stock-errors.js';
import { handler } from './action.js';
import { type CommandOutput, okOutput } from './output.js';

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
  const stockErrors = program
    .command('stock-errors')
    .description('the inventory lines The Edge rejected, until superseded or cleared')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge stock-errors list --account acme
  $ jl-edge stock-errors clear 12345678 --account acme  (after fixing the product)`,
    );

  stockErrors
    .command('list')
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
      handler(async (ctx): Promise<CommandOutput> => {
        const { listStockErrors } = await import('../commands/stock-errors.js');
        const views = await listStockErrors(ctx);
        return okOutput(views, errorLines(views));
      }),
    );

  stockErrors
    .command('clear [part_number]')
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
      handler(async (ctx, [partNumber], options): Promise<CommandOutput> => {
        const { clearStockErrors } = await import('../commands/stock-errors.js');
        const result = await clearStockErrors(ctx, { partNumber, all: options.all === true });
        return okOutput(result, clearLines(result));
      }),
    );
}
