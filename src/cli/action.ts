import {
  InvalidArgumentError,
  Option,
  type Command,
  type CommandUnknownOpts,
  type OptionValues,
} from '@commander-js/extra-typings';
import { describeError, exitCodeOf, JlEdgeError } from '../core/errors.js';
import type { Context, GlobalOptions } from '../core/context.js';
import { stderrStamp, stepLine } from '../core/logger.js';
import { LOCKED_STEPS } from '../core/steps.js';
import { clockFromEnv } from '../core/time.js';
import type { CommandOutput } from './output.js';

const DEFAULT_TIMEOUT_SECONDS = 600;

/**
 * The options every command takes (SPEC §5.2), declared once on the program: commander reads them after
 * any subcommand, and `showGlobalOptions` lists them in every command's help.
 */
export function addGlobalOptions(program: Command) {
  return program
    .option('--account <name>', 'run for this account only (default: every enabled account)')
    .option('--db <url>', 'SQLite file or postgres:// URL (default: $JL_EDGE_DB or ./data/jl-edge.sqlite)')
    .option('--env-file <path>', 'load this file instead of ./.env')
    .option('--dry-run', 'build everything and show it, change nothing locally or remotely')
    .option('--json', 'print one JSON document on stdout')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'print more detail on stderr')
    .addOption(new Option('--timeout <seconds>', 'whole-run deadline per account').argParser(parsePositiveInt))
    .addOption(
      new Option(
        '--concurrency <n>',
        'accounts of a sync step run in parallel (default: $JL_EDGE_CONCURRENCY or 4)',
      ).argParser(parsePositiveInt),
    )
    .configureHelp({ showGlobalOptions: true });
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return Number(value);
}

export function parseWholeNumberOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
}

function globalOptionsOf(command: CommandUnknownOpts): GlobalOptions {
  const o = command.optsWithGlobals();
  return {
    account: o.account as string | undefined,
    db: o.db as string | undefined,
    envFile: o.envFile as string | undefined,
    dryRun: o.dryRun === true,
    json: o.json === true,
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    timeout: (o.timeout as number | undefined) ?? DEFAULT_TIMEOUT_SECONDS,
    concurrency: o.concurrency as number | undefined,
  };
}

/**
 * A command's action: builds the context, runs, prints, and maps errors to exit codes. This is the only
 * place that prints results or decides the exit code; `run` gets the command's typed arguments and options.
 * `migrate: false` opens the database as it is (`db status`).
 */
export function handler<Args extends unknown[], Opts extends OptionValues>(
  run: (ctx: Context, args: Args, options: Opts) => Promise<CommandOutput>,
  contextOptions: { migrate?: boolean } = {},
): (...received: [...Args, Opts, CommandUnknownOpts]) => Promise<void> {
  return async (...received) => {
    const command = received[received.length - 1] as CommandUnknownOpts;
    const args = received.slice(0, -2) as unknown as Args;
    const own = received[received.length - 2] as Opts;
    const options = globalOptionsOf(command);
    let ctx: Context | null = null;
    try {
      const { createContext } = await import('../core/context.js');
      ctx = await createContext(options, process.env, contextOptions);
      const output = await run(ctx, args, own);
      print(output, options, stderrStamp(process.stderr, ctx.clock));
      process.exitCode = output.exitCode;
    } catch (err) {
      process.exitCode = exitCodeOf(err);
      const detail = options.verbose && err instanceof Error && !(err instanceof JlEdgeError) ? `\n${err.stack}` : '';
      if (options.json)
        process.stdout.write(
          `${JSON.stringify({ command: commandPath(command), ok: false, exit_code: process.exitCode, error: describeError(err) })}\n`,
        );
      const path = commandPath(command);
      // A step that fails before any account (the database, the configuration) says when, off a terminal, too.
      const stamp = isStepCommand(path) ? stderrStamp(process.stderr, ctx?.clock ?? clockFromEnv(process.env)) : null;
      process.stderr.write(`${stamp ? `${stamp} ` : ''}jl-edge ${path}: ${describeError(err)}${detail}\n`);
    } finally {
      await ctx?.close();
    }
  };
}

/** The command as typed, group included (`accounts set`, not `set`): the name alone is ambiguous. */
function commandPath(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let at: CommandUnknownOpts | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function isStepCommand(path: string): boolean {
  return path === 'sync' || (LOCKED_STEPS as readonly string[]).includes(path);
}

function print(output: CommandOutput, options: GlobalOptions, stamp: string | null): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(output.json, null, 2)}\n`);
  } else if (!options.quiet && output.lines.length > 0) {
    process.stdout.write(`${output.lines.join('\n')}\n`);
  }
  const problems = output.problems.flatMap((problem) => {
    if (typeof problem === 'string') return [problem];
    if (problem.routine && options.quiet) return [];
    return [stepLine(problem.subject, problem.message, stamp)];
  });
  if (problems.length > 0) process.stderr.write(`${problems.join('\n')}\n`);
}
