import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { coalescesWrites, coalescingSocket } from './coalescing-socket.js';
import * as schema from './schema.js';
import { postgresJs } from './drizzle.js';

const { drizzle } = postgresJs;

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  readonly db: Db;
  readonly sql: postgres.Sql;
  close(): Promise<void>;
}

export function connectDatabase(url: string, opts: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // Keep start-up and CI logs clean: NOTICEs (e.g. "relation already exists, skipping") are not errors.
    onnotice: () => {},
    connect_timeout: 5,
    // A run's transaction leaves in fewer socket writes (coalescing-socket.ts).
    ...(coalescesWrites(url) ? { socket: coalescingSocket } : {}),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
