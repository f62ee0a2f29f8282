import { Option, type Command } from '@commander-js/extra-typings';
import { ExitCode } from '../core/errors.js';
import type { UpdateView } from '../commands/updates.js';
import { handler, parseWholeNumberOption } from './action.js';
import { okOutput, stepOutput } from './output.js';

function updateLine(u: UpdateView): string {
  const order = u.order_number ? ` order ${u.order_number}` : '';
  const error = u.last_error ? `  last error: ${u.last_error}` : '';
  return `${String(u.id).padStart(6)}  ${u.status.padEnd(7)} ${u.flow.padEnd(27)} ${u.file}${order}  attempts ${u.attempts}${error}`;
}

export function registerUpdates(program: Command): void {
  const updates = program
    .command('updates')
    .description('the outgoing files (acknowledgements, tracking, cancellations, inventory): list, retry, resend')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge updates list --status failed
  $ jl-edge updates retry 42                            (a failed one, same name and bytes)
  $ jl-edge updates resend 17                           (a sent one The Edge lost)`,
    );

  updates
    .command('list')
    .description('list outgoing files, newest first')
    .addOption(new Option('--status <status>', 'only pending, sent or failed ones'))
    .option('--order <order_number>', 'only the files of one order')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(parseWholeNumberOption).default(50))
    .addHelpText(
      'after',
      '\nExamples:\n  $ jl-edge updates list --status failed\n  $ jl-edge updates list --order Y100012345 --json',
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { listUpdates } = await import('../commands/updates.js');
        const views = await listUpdates(ctx, options);
        return okOutput(views, views.length ? views.map(updateLine) : ['no updates']);
      }),
    );

  updates
    .command('retry')
    .argument('<id>', 'the update id (updates list shows it)', parseWholeNumberOption)
    .description('attempt a failed update again, under its original name with its original bytes')
    .addHelpText('after', '\nExample:\n  $ jl-edge updates retry 42')
    .action(
      handler(async (ctx, [id]) => {
        const { retryUpdate } = await import('../commands/updates.js');
        const result = await retryUpdate(ctx, id);
        const run = stepOutput(result.run);
        return {
          exitCode:
            result.update.status === 'sent' || ctx.options.dryRun
              ? run.exitCode
              : Math.max(run.exitCode, ExitCode.itemsFailed),
          json: { command: result.command, update: result.update, run: run.json },
          lines: [...run.lines, updateLine(result.update)],
          problems: run.problems,
        };
      }),
    );

  updates
    .command('resend')
    .argument('<id>', 'the update id (updates list shows it)', parseWholeNumberOption)
    .description('upload a sent update again under its original name (for when The Edge lost it)')
    .addHelpText('after', '\nExample:\n  $ jl-edge updates resend 42')
    .action(
      handler(async (ctx, [id]) => {
        const { resendUpdate } = await import('../commands/updates.js');
        return stepOutput(await resendUpdate(ctx, id));
      }),
    );
}
