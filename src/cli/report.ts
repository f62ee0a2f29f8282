import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option, type Command } from '@commander-js/extra-typings';
import { ExitCode, UsageError } from '../core/errors.js';
import { handler, parsePositiveInt } from './action.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the channel on one page: orders, acknowledgement and dispatch times, late dispatches, cancellations')
    .addOption(new Option('--days <n>', 'London days to cover, today included').argParser(parsePositiveInt).default(30))
    .option('--out <file>', 'write the report to this file (replaced atomically)')
    .addOption(
      new Option('--format <format>', 'html: one self-contained page; json: the same figures')
        .choices(['html', 'json'] as const)
        .default('html' as const),
    )
    .addHelpText(
      'after',
      `
Per account and over all accounts: orders received per day; time from receiving an order to its
acknowledgement and to its first shipment (median and 95th percentile, nearest-rank); dispatches later
than the due date of a line they carried (its promised_date, else the order's expected_delivery_date less
the lead time); orders with a cancellation before dispatch and after it (a refund), as a share of the
orders received; stock errors and failed updates per day. The page needs no network: charts are inline
SVG, there is no script. --format json prints the figures the page is drawn from (or writes them to --out).

Examples:
  $ jl-edge report --out /var/www/reports/jl-edge.html --quiet
  $ jl-edge report --days 7 --account acme --format json`,
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { report } = await import('../commands/report.js');
        // --json asks for the figures on stdout, as --format json does.
        if (options.format === 'html' && options.out === undefined && !ctx.options.json)
          throw new UsageError('the HTML page needs --out <file.html> (or use --format json for stdout)');
        const data = await report(ctx, options.days);
        const output = { exitCode: ExitCode.ok, json: data, problems: [] };
        if (options.out === undefined) {
          // --json prints the same object through the common path; print it once.
          if (!ctx.options.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
          return { ...output, lines: [] };
        }
        const verb = ctx.options.dryRun ? 'would write' : 'wrote';
        if (!ctx.options.dryRun) {
          const { renderReportHtml } = await import('../report/html.js');
          const content = options.format === 'html' ? renderReportHtml(data) : `${JSON.stringify(data, null, 2)}\n`;
          writeAtomically(options.out, content);
        }
        const scope = `${data.accounts.length} account${data.accounts.length === 1 ? '' : 's'}, ${data.from} to ${data.to}`;
        return { ...output, lines: [`report: ${verb} ${options.out} (${scope})`] };
      }),
    );
}

/** Readers of the file (a web server, a mail job) see the old report or the new one, never half of one. */
function writeAtomically(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    const reasons: Record<string, string> = {
      ENOENT: 'its folder does not exist',
      EACCES: 'permission denied',
      ENOSPC: 'no space left on the device',
    };
    const { code, message } = err as NodeJS.ErrnoException;
    throw new UsageError(`cannot write ${path}: ${reasons[code ?? ''] ?? message}`);
  }
}
