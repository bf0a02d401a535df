import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { coalescesWrites, coalescingSocket } from './coalescing-socket.js';
import * as schema from './schema.js';
import { postgresJs } from './drizzle.js';

const { drizzle } = postgresJs;

export type Db = PostgresJsDatabase<typeof schema>;

/**
 * A fulfillment run's transaction: one reserved connection (handlers see it wrapped, see run/handler-db.ts).
 * The run's hot path uses postgres.js directly rather than drizzle's query builder: its tagged templates become prepared statements, and on the end-to-end
 * benchmark drizzle's per-query building cost about a fifth of the worker's CPU. Table and column names
 * are drizzle's schema (schema.ts), which owns the migrations.
 */
export type Tx = postgres.ReservedSql;

export interface Database {
  readonly db: Db;
  readonly sql: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly max?: number;
  /** postgres.js's hook for each statement sent (tracing records its text: observability/tracing.ts). */
  readonly debug?: (connection: number, query: string) => void;
}

export function connectDatabase(url: string, opts: ConnectOptions = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // Keep start-up and CI logs clean: NOTICEs (e.g. "relation already exists, skipping") are not errors.
    onnotice: () => {},
    connect_timeout: 5,
    ...(opts.debug === undefined ? {} : { debug: opts.debug }),
    // A run's transaction leaves in fewer socket writes (coalescing-socket.ts).
    ...(coalescesWrites(url) ? { socket: coalescingSocket } : {}),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
