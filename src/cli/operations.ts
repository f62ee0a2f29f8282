import { Option, type Command } from '@commander-js/extra-typings';
import { UNSENT_UPDATE_ALERT_MINUTES } from '../core/date-watch.js';
import { ExitCode, UsageError } from '../core/errors.js';
import type { StatusResult } from '../commands/status.js';
import { handler, parseWholeNumberOption } from './action.js';
import { colours } from './colour.js';
import { type CommandOutput, okOutput } from './output.js';

export function registerOperations(program: Command): void {
  program
    .command('status')
    .description('is everything flowing, and if not, why? (exit 1 when something needs a person)')
    .addHelpText(
      'after',
      `
Shows per account: the last run of every step that did its work (runs skipped on a held lock are
counted beside it), orders per status, incomplete orders with their errors, updates pending or
failed, open stock errors, open customer cancellation requests, held locks, and the dates John Lewis
holds you to: orders awaiting acknowledgement longer than the account's ack_alert_minutes, lines late
or due for dispatch today, and updates recorded but not sent for ${UNSENT_UPDATE_ALERT_MINUTES} minutes. Exit 1 when something
needs a person: a failed run, an internal error, a failed update, an incomplete order, a stale lock,
a customer cancellation request unanswered for longer than the account's cancel_request_alert_minutes,
a sync step that has not completed a run for longer than its limit (STALE; see jl-edge accounts
set-stale-after), a late line, an overdue acknowledgement or an update unsent for ${UNSENT_UPDATE_ALERT_MINUTES} minutes (a line
due today is shown, not flagged). Run it from cron so a dead cron or a host that is down reaches a person.

--format prometheus prints the same figures as Prometheus metrics (jl_edge_…, listed in the README);
--textfile writes them atomically for node_exporter's textfile collector. Both exit 0 once the metrics
are out: whether something needs a person is the metric jl_edge_account_needs_attention.

Examples:
  $ jl-edge status
  $ jl-edge status --account acme --json
  $ jl-edge status --textfile /var/lib/prometheus/node-exporter/jl_edge.prom --quiet`,
    )
    .addOption(new Option('--format <format>', 'text, or prometheus for metrics').choices(['text', 'prometheus']))
    .option('--textfile <path>', 'write the Prometheus metrics to this file (temp file + rename) instead of stdout')
    .action(
      handler(async (ctx, _args, options) => {
        const { status } = await import('../commands/status.js');
        const metrics = options.textfile !== undefined || options.format === 'prometheus';
        if (metrics && options.format === 'text')
          throw new UsageError('--textfile writes Prometheus metrics, not --format text');
        if (metrics && ctx.options.json)
          throw new UsageError('--json and Prometheus metrics are two formats: choose one');
        const result = await status(ctx);
        return metrics ? metricsOutput(result, options.textfile, ctx.options.dryRun) : statusOutput(result);
      }),
    );

  program
    .command('unlock <step>')
    .description('clear a lock left by a crashed run, saying whose it was')
    .addHelpText('after', '\nExample:\n  $ jl-edge unlock download-orders --account acme')
    .action(
      handler(async (ctx, [step]) => {
        const { unlock } = await import('../commands/unlock.js');
        const result = await unlock(ctx, step);
        const lines = result.released.map(({ account, holder }) =>
          holder
            ? `${result.step} ${account}: ${ctx.options.dryRun ? 'would release' : 'released'} the lock of pid ${holder.pid} on ${holder.host} (since ${holder.acquiredAt}, last heartbeat ${holder.heartbeatAt})`
            : `${result.step} ${account}: not locked`,
        );
        return okOutput(result, lines);
      }),
    );

  program
    .command('prune')
    .description('remove raw file copies and run-log rows older than a limit (never an order, never an unsent update)')
    .addOption(
      new Option('--older-than <days>', 'age limit in days').argParser(parseWholeNumberOption).makeOptionMandatory(),
    )
    .addHelpText('after', '\nExample:\n  $ jl-edge prune --older-than 90')
    .action(
      handler(async (ctx, _args, options) => {
        const { prune } = await import('../commands/prune.js');
        const result = await prune(ctx, options.olderThan);
        const verb = ctx.options.dryRun ? 'would remove' : 'removed';
        return okOutput(result, [
          `prune: ${verb} ${result.raw_copies_removed} raw file copies, ${result.sent_file_contents_removed} sent file contents, ${result.runs_removed} run-log rows older than ${result.cutoff}`,
        ]);
      }),
    );
}

async function metricsOutput(
  result: StatusResult,
  textfile: string | undefined,
  dryRun: boolean,
): Promise<CommandOutput> {
  const { renderMetrics, writeTextfile } = await import('../commands/status-metrics.js');
  const text = renderMetrics(result);
  if (textfile === undefined) return okOutput(null, [text.trimEnd()]);
  if (!dryRun) await writeTextfile(textfile, text);
  return okOutput(null, [`status: ${dryRun ? 'would write' : 'wrote'} ${textfile}`]);
}

async function statusOutput(result: StatusResult): Promise<CommandOutput> {
  const chalk = await colours(process.stdout, process.env);
  const lines: string[] = [];
  for (const a of result.accounts) {
    lines.push(chalk.bold(`${a.account}${a.enabled ? '' : ' (disabled)'}`));
    for (const s of a.steps) {
      const outcome =
        s.outcome === 'ok'
          ? chalk.green('ok')
          : s.outcome === 'never run'
            ? chalk.dim('never run')
            : chalk.red(s.outcome);
      const when = s.started_at ? s.started_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
      const took = s.duration_ms !== null ? `${(s.duration_ms / 1000).toFixed(1)}s` : '';
      const counts = Object.entries(s.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const skipped = s.skipped_locked > 0 ? chalk.yellow(`  (${s.skipped_locked} later runs skipped: lock held)`) : '';
      const stale = s.stale ? chalk.red('  STALE') : '';
      lines.push(
        `  ${s.step.padEnd(17)} ${when.padEnd(21)} ${took.padStart(6)}  ${outcome}${stale}${counts ? `  ${counts}` : ''}${skipped}${s.error && s.outcome !== 'ok' ? chalk.red(`  ${s.error.split('\n')[0]}`) : ''}`,
      );
    }
    const orders = Object.entries(a.orders)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`  orders: ${orders || 'none'}`);
    const pending = a.updates.filter((u) => u.status === 'pending').length;
    const failed = a.updates.filter((u) => u.status === 'failed').length;
    const recorded = Object.entries(a.recorded_unsent)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    lines.push(
      `  updates: ${pending} pending, ${failed === 0 ? '0 failed' : chalk.red(`${failed} failed`)}${recorded ? `; recorded, waiting to be sent: ${recorded}` : ''}`,
    );
    if (a.stock_errors.length > 0) {
      lines.push(chalk.yellow(`  stock errors open: ${a.stock_errors_open}`));
      for (const e of a.stock_errors) lines.push(`    ${e.part_number}${e.sku ? ` (${e.sku})` : ''}: ${e.message}`);
    }
    for (const d of a.warehouse.destinations) {
      const last = d.last_file ? `last ${d.last_file} at ${d.last_written_at}` : 'nothing written yet';
      const failing = d.files_failing > 0 ? chalk.red(`, ${d.files_failing} failing`) : '';
      lines.push(`  destination ${d.destination}: ${last}; ${d.files_waiting} file(s) waiting${failing}`);
    }
    for (const i of a.warehouse.inboxes) {
      const failed = i.files_failed > 0 ? chalk.yellow(`${i.files_failed} failed`) : '0 failed';
      lines.push(
        `  inbox ${i.inbox} (${i.step}): last file ${i.last_file_at}; ${i.files_processed} done, ${failed}, ${i.files_waiting} waiting`,
      );
    }
    const d = a.dates;
    lines.push(
      `  dates: ${d.acknowledgements_overdue.length} acknowledgement(s) overdue, ${d.lines_late.length} line(s) late, ${d.lines_due_today.length} due today, ${d.updates_unsent.length} update(s) unsent over ${UNSENT_UPDATE_ALERT_MINUTES} minutes`,
    );
    for (const l of d.lines_due_today)
      lines.push(
        chalk.yellow(
          `    due today: order ${l.order_number} line ${l.line_ref}${l.sku ? ` (${l.sku})` : ''}, ${l.open_quantity} unit(s) (${l.due_from})`,
        ),
      );
    for (const f of a.rejected_files) lines.push(chalk.yellow(`  ${f.status} file ${f.file}: ${f.error ?? ''}`));
    for (const r of a.cancel_requests) {
      const units = r.lines.map((line) => `line ${line.line_ref} x${line.quantity}`).join(', ');
      lines.push(
        chalk.yellow(
          `  cancellation request open for ${r.open_minutes} min: order ${r.order_number} (${units}) from ${r.file}${r.problem ? `: ${r.problem}` : ''}`,
        ),
      );
    }
    for (const l of a.locks)
      lines.push(
        `  lock ${l.step}: pid ${l.pid} on ${l.host} since ${l.acquired_at}${l.stale ? chalk.red(' STALE') : ''}`,
      );
    for (const reason of a.attention) lines.push(chalk.red(`  ! ${reason}`));
  }
  return { exitCode: result.needs_attention ? ExitCode.itemsFailed : ExitCode.ok, json: result, lines, problems: [] };
}
