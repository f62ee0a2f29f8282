/**
 * The in-process test tier: a command function called directly on a context built by the real
 * `createContext` (migrations, the environment account, the clock from JL_EDGE_NOW), on the test's
 * database with local-folder accounts. It returns the command's result object, so the logic that no
 * server has to prove (decision rules, views over the database, stock rules, dates) is tested without
 * starting the binary for each call. What the binary prints and its exit codes stay end-to-end tests
 * (`runCli`), and so does everything an SFTP server must prove (`sshd.ts`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addAccount, type AccountView } from '../../src/commands/accounts.js';
import { ACCOUNT_DEFAULTS, type AccountSettings } from '../../src/core/account-settings.js';
import { createContext, type Context, type GlobalOptions } from '../../src/core/context.js';
import { stepLine, type Logger } from '../../src/core/logger.js';

export interface InProcessSetup {
  /** What `--db` takes: `createTestDb(...).url`, so the PostgreSQL pass runs these tests too. */
  db: string;
  /** The test's temp folder: holds the (empty) .env the context reads instead of the working folder's. */
  dir: string;
  /** The environment the command sees, as `runCli` gives the binary (nothing is inherited). */
  env?: Record<string, string | undefined>;
}

export interface InProcess {
  /** Runs `command` on a new context (as one invocation of the binary would), closes it, returns the result. */
  run<T>(command: (ctx: Context) => Promise<T>, options?: Partial<GlobalOptions>): Promise<T>;
  /** The step lines the commands logged (`<step> <account>: <message>`), in order, for all runs so far. */
  warnings: string[];
  /** `accounts add <name> --local-root <root>` with these settings over the defaults. */
  addLocalAccount(name: string, root: string, settings?: Partial<AccountSettings>): Promise<AccountView>;
}

export function inProcess(setup: InProcessSetup): InProcess {
  const envFile = join(setup.dir, 'in-process.env');
  writeFileSync(envFile, '');
  const warnings: string[] = [];
  const logger: Logger = {
    verbose() {},
    warn: (subject, message) => warnings.push(stepLine(subject, message, null)),
    progress() {},
    progressDone() {},
  };
  const session: InProcess = {
    warnings,
    addLocalAccount: (name, root, settings = {}) =>
      session.run((ctx) =>
        addAccount(ctx, name, { ...ACCOUNT_DEFAULTS, transport: 'local', localRoot: root, ...settings }),
      ),
    async run(command, options = {}) {
      const env: NodeJS.ProcessEnv = { TZ: 'UTC' };
      for (const [name, value] of Object.entries(setup.env ?? {})) if (value !== undefined) env[name] = value;
      const ctx = await createContext(
        { db: setup.db, envFile, dryRun: false, json: false, quiet: false, verbose: false, timeout: 600, ...options },
        env,
      );
      try {
        return await command({ ...ctx, logger });
      } finally {
        await ctx.close();
      }
    },
  };
  return session;
}
