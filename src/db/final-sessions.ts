import type postgres from 'postgres';
import { FINAL_STATUSES, type SessionStatus } from '../domain/session-status.js';

/** The ids among `ids` that Postgres holds in a final state (FINAL_STATUSES). */
export async function finalSessionIds(sql: postgres.Sql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    select id from checkout_sessions where id in ${sql(ids)} and status in ${sql(FINAL_STATUSES)}`;
  return new Set(rows.map((r) => r.id));
}

/** The session's status (and email, for the run's log line) if Postgres holds it as final: a primary-key read. */
export async function storedFinalStatus(sql: postgres.Sql, id: string): Promise<{ status: SessionStatus; customerEmail: string | null } | undefined> {
  const [row] = await sql<{ status: SessionStatus; customerEmail: string | null }[]>`
    select status, customer_email as "customerEmail" from checkout_sessions where id = ${id} and status in ${sql(FINAL_STATUSES)}`;
  return row;
}
