import type postgres from 'postgres';
import type { AfterSaleFacts } from '../domain/after-sale-policy.js';

/**
 * The connected accounts the service has recorded a session of (the platform's own not included): each
 * distinct value read off the partial account index by a skip scan, one index probe per account, however
 * many sessions each has (a `select distinct` would read every row of them every pass).
 */
export async function seenAccounts(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ account: string }[]>`
    with recursive seen(account) as (
      (select account from checkout_sessions where account is not null order by account limit 1)
      union all
      select (select c.account from checkout_sessions c where c.account is not null and c.account > s.account order by c.account limit 1)
      from seen s where s.account is not null
    )
    select account from seen where account is not null`;
  return rows.map((r) => r.account);
}

/**
 * What the last after-sale run of each of these PaymentIntents read (null: its session is recorded and no run
 * has read anything yet); a PaymentIntent no session holds is absent. Indexed by payment_intent.
 */
export async function storedAfterSaleFacts(sql: postgres.Sql, paymentIntents: readonly string[]): Promise<Map<string, AfterSaleFacts | null>> {
  if (paymentIntents.length === 0) return new Map();
  const rows = await sql<{ paymentIntent: string; facts: AfterSaleFacts | string | null }[]>`
    select payment_intent as "paymentIntent", after_sale_facts as facts from checkout_sessions
    where payment_intent = any(${paymentIntents as string[]}::text[])`;
  // postgres.js may hand jsonb over as text (the pass-through serializers the drizzle client sets up).
  return new Map(rows.map((r) => [r.paymentIntent, typeof r.facts === 'string' ? (JSON.parse(r.facts) as AfterSaleFacts) : r.facts]));
}
