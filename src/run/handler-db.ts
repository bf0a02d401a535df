import type { PgTable } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import type { Db, Tx } from '../db/client.js';
import * as schema from '../db/schema.js';
import { sent } from '../lib/sent.js';
import type { HandlerDb } from '../fulfillment/handler.js';
import { orm, postgresJs } from '../db/drizzle.js';

const { getTableColumns, getTableName } = orm;
const { drizzle } = postgresJs;

/** Postgres caps bind parameters at 65,535 per statement. */
const MAX_PARAMETERS = 60_000;

/** The handlers' database, and the writes it has sent without waiting for their answer. */
export interface RunHandlerDb extends HandlerDb {
  /** Resolves once every `insert` so far has succeeded; rejects with the first one's error. */
  written(): Promise<void>;
}

/**
 * The handlers' database: drizzle's row shapes on the hot path's postgres.js transaction. drizzle makes
 * that client's timestamp and json serializers pass-through, so a raw write would need ISO and JSON
 * strings; here every value goes through its drizzle column's own `mapToDriverValue` instead, and the
 * rows go out in one prepared multi-row insert (drizzle's builder costs more CPU per statement).
 *
 * An insert is sent at once but not waited for: postgres.js pipelines the statements of one connection,
 * so every handler's writes, the notes and the effects reach Postgres in one round trip instead of one
 * each (the run holds its row lock for that much less). Statements run in the order sent, so a later read
 * through `drizzle` sees them; a failed one aborts the transaction, and `written()` (awaited by the runner
 * with COMMIT sent behind them) rethrows its error, and the run fails and rolls back as before.
 */
export function createHandlerDb(tx: Tx, pool: postgres.Sql): RunHandlerDb {
  let bound: Db | undefined;
  const pending: Promise<unknown>[] = [];
  return {
    async written(): Promise<void> {
      await Promise.all(pending);
    },
    async insert<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][]): Promise<void> {
      if (rows.length === 0) return;
      const columns = getTableColumns(table);
      const driverRows = rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(row as Record<string, unknown>)) {
          const column = columns[key];
          if (column === undefined) throw new Error(`${getTableName(table)} has no column "${key}"`);
          out[column.name] = value === null || value === undefined ? null : column.mapToDriverValue(value);
        }
        return out;
      });
      const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(columns).length));
      for (let i = 0; i < driverRows.length; i += perStatement) {
        const name: string = getTableName(table);
        pending.push(sent(tx`insert into ${tx(name)} ${tx(driverRows.slice(i, i + perStatement))}`));
      }
    },
    get drizzle(): Db {
      // Built on first use only: most runs never need it. drizzle's postgres.js driver wants a pool (it
      // reads the shared `options` and runs queries through `unsafe`); a transaction has no `options`, so
      // hand it the pool's. Its `transaction()` is not available here: the handler is already in one.
      const client = { unsafe: tx.unsafe, options: pool.options } as unknown as postgres.Sql;
      bound ??= drizzle(client, { schema });
      return bound;
    },
  };
}
