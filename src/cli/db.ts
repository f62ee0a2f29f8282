import type { Command } from '@commander-js/extra-typings';
import { handler } from './action.js';
import { ExitCode } from '../core/errors.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('create or migrate the database schema (also done automatically on first use)')
    .addHelpText('after', '\nExample:\n  $ JL_EDGE_DB=/var/lib/jl-edge/jl-edge.sqlite jl-edge db migrate')
    .action(
      handler(async (ctx) => {
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
