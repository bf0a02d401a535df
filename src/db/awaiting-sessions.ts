import type postgres from 'postgres';

/**
 * Sessions Postgres holds as awaiting payment that were created before `createdBefore` (outside
 * reconciliation's lookback, so no list page carries them) and that no run has touched for `quietMs`:
 * delayed debits that may settle days later (SEPA: up to 14), whose settling event could be lost with
 * Redis. Least recently checked first, at most `limit`: each costs reconciliation one retrieve.
 */
export async function staleAwaitingSessions(
  sql: postgres.Sql,
  createdBefore: Date,
  quietMs: number,
  limit: number,
): Promise<{ id: string; account: string | null }[]> {
  const quietSince = new Date(Date.now() - quietMs).toISOString();
  return sql<{ id: string; account: string | null }[]>`
    select id, account from checkout_sessions
    where status = 'awaiting_payment' and stripe_created_at < ${createdBefore.toISOString()} and updated_at < ${quietSince}
    order by updated_at limit ${limit}`;
}
