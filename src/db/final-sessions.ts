import type postgres from 'postgres';

/** The ids among `ids` that Postgres holds as fulfilled, payment_failed or expired. */
export async function finalSessionIds(sql: postgres.Sql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`
    select id from checkout_sessions where id in ${sql(ids)} and status in ('fulfilled', 'payment_failed', 'expired')`;
  return new Set(rows.map((r) => r.id));
}
