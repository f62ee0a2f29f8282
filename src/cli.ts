import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, JlEdgeError, errorMessage } from './core/errors.js';
import type { Context, GlobalOptions } from './core/context.js';
import type { CommandOutput } from './cli/output.js';
import { registerCommands } from './cli/commands.js';

const DEFAULT_TIMEOUT_SECONDS = 600;

/** The options every command takes (SPEC §5.2); declared on each command so `<command> --help` lists them. */
export function withGlobalOptions(command: Command): Command {
  return command
    .option('--account <name>', 'run for this account only (default: every enabled account)')
    .option('--db <url>', 'SQLite file or postgres:// URL (default: $JL_EDGE_DB or ./data/jl-edge.sqlite)')
    .option('--env-file <path>', 'load this file instead of ./.env')
    .option('--dry-run', 'build everything and show it, change nothing locally or remotely')
    .option('--json', 'print one JSON document on stdout')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'print more detail on stderr')
    .addOption(new Option('--timeout <seconds>', 'whole-run deadline per account').argParser(parsePositiveInt));
}

function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return Number(value);
}

function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals();
  return {
    account: o.account,
    db: o.db,
    envFile: o.envFile,
    dryRun: o.dryRun === true,
    json: o.json === true,
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    timeout: o.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  };
}

/**
 * Wraps a command's action: builds the context, runs, prints, and maps typed errors to exit codes.
 * This is the only place that prints results or decides the exit code.
 */
export function action(run: (ctx: Context, args: unknown[], command: Command) => Promise<CommandOutput>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2);
    const options = globalOptions(command);
    let ctx: Context | null = null;
    try {
      const { createContext } = await import('./core/context.js');
      ctx = await createContext(options);
      const output = await run(ctx, args, command);
      await print(output, options);
      process.exitCode = output.exitCode;
    } catch (err) {
      process.exitCode = err instanceof JlEdgeError ? err.exitCode : ExitCode.itemsFailed;
      const detail = options.verbose && err instanceof Error && !(err instanceof JlEdgeError) ? `\n${err.stack}` : '';
      if (options.json)
        process.stdout.write(
          `${JSON.stringify({ command: command.name(), ok: false, exit_code: process.exitCode, error: errorMessage(err) })}\n`,
        );
      process.stderr.write(`jl-edge ${command.name()}: ${errorMessage(err)}${detail}\n`);
    } finally {
      await ctx?.close();
    }
  };
}

async function print(output: CommandOutput, options: GlobalOptions): Promise<void> {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(output.json, null, 2)}\n`);
  } else if (!options.quiet && output.lines.length > 0) {
    process.stdout.write(`${output.lines.join('\n')}\n`);
  }
  if (output.problems.length > 0) process.stderr.write(`${output.problems.join('\n')}\n`);
}

export function buildProgram(): Command {
  const program = new Command('jl-edge')
    .description('Connects a seller to the John Lewis marketplace (The Edge) by exchanging files over SFTP.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })
    .exitOverride();
  withGlobalOptions(program);
  program.addHelpText(
    'after',
    `
Exit codes: 0 all done, 1 some items failed, 2 usage or configuration error,
            3 could not connect or authenticate, 75 another run holds the lock.

Examples:
  $ jl-edge accounts add acme --host sftp.example.com --username acme --password-env ACME_SFTP_PASSWORD
  $ jl-edge import-products products.csv
  $ jl-edge download-orders --account acme --json`,
  );
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `jl-edge … | head` closes the pipe early: that is the reader's choice, not a failure to report.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes become exit 2 (SPEC §5.7).
      process.exitCode = err.exitCode === 0 ? 0 : ExitCode.usage;
      return;
    }
    throw err;
  }
}
