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

/** Where reconciliation remembers when its last complete pass over an account's refunds and disputes began (Unix seconds). */
export interface AfterSaleCursor {
  lastPass(account: string | null): Promise<number | undefined>;
  rememberPass(account: string | null, startedAt: number): Promise<void>;
}

export function afterSaleCursor(sql: postgres.Sql): AfterSaleCursor {
  const key = (account: string | null) => account ?? 'platform';
  return {
    async lastPass(account) {
      const [row] = await sql<{ at: string }[]>`select after_sale_pass_started_at as at from reconcile_cursors where account = ${key(account)}`;
      return row === undefined ? undefined : Number(row.at);
    },
    async rememberPass(account, startedAt) {
      // Never backwards: passes run one at a time, but a late one must not undo a newer one's cursor.
      await sql`
        insert into reconcile_cursors (account, after_sale_pass_started_at) values (${key(account)}, ${startedAt})
        on conflict (account) do update set after_sale_pass_started_at = greatest(reconcile_cursors.after_sale_pass_started_at, excluded.after_sale_pass_started_at)`;
    },
  };
}
