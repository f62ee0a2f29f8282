import type { Command } from 'commander';
import { action, withGlobalOptions } from '../cli.js';
import { ExitCode } from '../core/errors.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database maintenance');
  withGlobalOptions(db.command('migrate'))
    .description('create or migrate the database schema (also done automatically on first use)')
    .addHelpText('after', '\nExample:\n  $ JL_EDGE_DB=/var/lib/jl-edge/jl-edge.sqlite jl-edge db migrate')
    .action(
      action(async (ctx) => {
        const applied = ctx.migrationsApplied;
        return {
          exitCode: ExitCode.ok,
          json: { command: 'db migrate', applied },
          lines: [applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date'],
          problems: [],
        };
      }),
    );
}
