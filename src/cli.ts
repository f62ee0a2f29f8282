import { Command, CommanderError } from '@commander-js/extra-typings';
import { ExitCode } from './core/errors.js';
import { addGlobalOptions } from './cli/action.js';
import { registerCommands } from './cli/commands.js';

export function buildProgram() {
  const program = new Command('jl-edge')
    .description('Connects a seller to the John Lewis marketplace (The Edge) by exchanging files over SFTP.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(withSecretOptionHint(text)) })
    .exitOverride();
  addGlobalOptions(program).addHelpText(
    'after',
    `
Exit codes: 0 all done, 1 some items failed, 2 usage or configuration error,
            3 could not connect or authenticate, 70 internal error (a bug or a database
            failure: --verbose shows the stack), 75 another run holds the lock.

Examples:
  $ jl-edge accounts add acme --host sftp.example.com --username acme --password-env ACME_SFTP_PASSWORD
  $ jl-edge import-products products.csv
  $ jl-edge download-orders --account acme --json`,
  );
  registerCommands(program);
  return program;
}

/**
 * Secrets are named, never given (ps and shell history would show them): whoever types `--password` (or
 * `--passphrase`) is pointed at the option that takes the variable's name, and a value typed after `=` is
 * not echoed back into a cron mail.
 */
function withSecretOptionHint(text: string): string {
  const tried = /unknown option '--(password|passphrase)(=[^']*)?'/.exec(text);
  if (!tried) return text;
  const secret = tried[1];
  return `${text.replace(tried[0], `unknown option '--${secret}${tried[2] ? '=…' : ''}'`)}hint: use --${secret}-env <VAR>, the NAME of an environment variable holding the ${secret} (set it in .env, mode 600); the ${secret} itself never goes on the command line
`;
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
