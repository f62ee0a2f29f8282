import type { Command } from '@commander-js/extra-typings';
import { handler } from './action.js';
import { ExitCode } from '../core/errors.js';

export function registerDb(program: Command): void {
  const db = program
    .command('db')
    .description('database maintenance')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge db status                                   (engine, schema version, pending migrations)
  $ JL_EDGE_DB=postgres://jl@db.example/jl_edge jl-edge db migrate`,
    );
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

  db.command('status')
    .description('show the engine, the schema version and the migrations still pending (changes nothing)')
    .addHelpText('after', '\nExample:\n  $ jl-edge db status --db postgres://jl-edge@db.internal/jl_edge')
    .action(
      handler(
        async (ctx) => {
          const { dbStatus } = await import('../commands/db-status.js');
          const status = await dbStatus(ctx);
          return {
            exitCode: ExitCode.ok,
            json: {
              command: 'db status',
              engine: status.engine,
              database: status.database,
              schema_version: status.schemaVersion,
              applied: status.applied,
              pending: status.pending,
            },
            lines: [
              `engine: ${status.engine} (${status.database})`,
              `schema: ${status.schemaVersion ?? 'none'} (${status.applied.length} migrations applied)`,
              `pending: ${status.pending.length ? status.pending.join(', ') : 'none'}`,
            ],
            problems: [],
          };
        },
        { migrate: false },
      ),
    );
}
