import type { Context } from '../core/context.js';
import { schemaState } from '../db/connection.js';

export interface DbStatus {
  engine: 'sqlite' | 'postgresql';
  database: string;
  /** The last migration applied, null for an empty database. */
  schemaVersion: string | null;
  applied: string[];
  pending: string[];
}

/** `jl-edge db status`: which engine, which schema, and what `db migrate` would apply. */
export async function dbStatus(ctx: Context): Promise<DbStatus> {
  const { applied, pending } = await schemaState(ctx.repo.knex);
  return {
    engine: ctx.repo.dialect === 'postgres' ? 'postgresql' : 'sqlite',
    database: ctx.database,
    schemaVersion: applied.at(-1) ?? null,
    applied,
    pending,
  };
}
