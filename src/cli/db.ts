import type { Command } from '@commander-js/extra-typings';
import { handler } from './action.js';
import { okOutput } from './output.js';

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
        return okOutput({ command: 'db migrate', applied }, [
          applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date',
        ]);
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
          return okOutput(
            {
              command: 'db status',
              engine: status.engine,
              database: status.database,
              schema_version: status.schemaVersion,
              applied: status.applied,
              pending: status.pending,
            },
            [
              `engine: ${status.engine} (${status.database})`,
              `schema: ${status.schemaVersion ?? 'none'} (${status.applied.length} migrations applied)`,
              `pending: ${status.pending.length ? status.pending.join(', ') : 'none'}`,
            ],
          );
        },
        { migrate: false },
      ),
    );
}
