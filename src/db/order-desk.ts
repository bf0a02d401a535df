import type postgres from 'postgres';
import type { HistoryDetail, HistoryEntry } from '../domain/order-history.js';

/** One order in a list: enough to recognise it and to see why it needs attention. */
export interface OrderSummary {
  readonly sessionId: string;
  readonly status: string | null;
  readonly customerEmail: string | null;
  readonly amountTotal: number | null;
  readonly currency: string | null;
  readonly livemode: boolean | null;
  readonly updatedAt: string | null;
  /** Why it is on the attention list: failed_for_good, dead_effects, held (poison). */
  readonly attention: readonly string[];
}

/** What a support person types: a session id, a PaymentIntent, an event id or an email. */
export type OrderQuery = { by: 'session'; value: string } | { by: 'payment_intent'; value: string } | { by: 'event'; value: string } | { by: 'email'; value: string };

/** Reads the search box; undefined when it is none of the four. */
export function parseOrderQuery(raw: string): OrderQuery | undefined {
  const q = raw.trim();
  if (q.length === 0 || q.length > 320) return undefined;
  if (/^cs_(test|live)_[A-Za-z0-9]{1,250}$/.test(q)) return { by: 'session', value: q };
  if (/^pi_[A-Za-z0-9_]{1,250}$/.test(q)) return { by: 'payment_intent', value: q };
  if (/^evt_[A-Za-z0-9_]{1,250}$/.test(q)) return { by: 'event', value: q };
  if (/^[^\s@]+@[^\s@]+$/.test(q)) return { by: 'email', value: q };
  return undefined;
}

const SUMMARY = `s.id as session_id, s.status, s.customer_email, s.amount_total, s.currency, s.livemode, s.updated_at`;

/** Orders matching the query, newest first (at most 50). An event id finds its session even before a run stored it. */
export async function searchOrders(sql: postgres.Sql, q: OrderQuery): Promise<OrderSummary[]> {
  // Each search reads only its own index; an order known only from its history (no run stored it yet) is found too.
  const ids =
    q.by === 'session'
      ? sql`select id from checkout_sessions where id = ${q.value} union select session_id from order_history where session_id = ${q.value}`
      : q.by === 'payment_intent'
        ? sql`select id from checkout_sessions where payment_intent = ${q.value}`
        : q.by === 'email'
          ? sql`select id from checkout_sessions where lower(customer_email) = lower(${q.value})`
          : sql`select distinct session_id from order_history where event_id = ${q.value}`;
  const rows = await sql<Row[]>`
    with ids(id) as (${ids})
    select ids.id as sid, ${sql.unsafe(SUMMARY)}, ${attentionOf(sql, 'ids.id')} as attention
    from ids left join checkout_sessions s on s.id = ids.id
    order by s.updated_at desc nulls first limit 50`;
  return rows.map(toSummary);
}

/**
 * The newest orders needing a person: fulfillment failed for good (retries spent, or held as poison), an
 * effect dead. Read from the tables that say so now, not from old history: an order fixed since drops off.
 */
export async function ordersNeedingAttention(sql: postgres.Sql, limit = 50): Promise<OrderSummary[]> {
  const ownFailure = notAStrangersGuess(sql);
  const rows = await sql<Row[]>`
    with ids as (
      select session_id as id, last_failed_at as at from fulfillment_failures
      union all select session_id, max(coalesce(finished_at, created_at)) from fulfillment_effects where status = 'dead' group by session_id
      union all select h.session_id, max(h.at) from order_history h
        where h.kind = 'run' and h.detail->>'finalFailure' = 'true' and h.at > now() - interval '30 days' and ${ownFailure}
          and not exists (select 1 from checkout_sessions c where c.id = h.session_id and c.status in ('fulfilled', 'payment_failed', 'expired'))
        group by h.session_id
      union all select id, updated_at from checkout_sessions where dispute_status in ${sql(OPEN_DISPUTE)}
    ), newest as (select id, max(at) as at from ids group by id)
    select newest.id as sid, ${sql.unsafe(SUMMARY)}, ${attentionOf(sql, 'newest.id')} as attention
    from newest left join checkout_sessions s on s.id = newest.id
    order by newest.at desc limit ${limit}`;
  return rows.map(toSummary);
}

interface Row {
  sid: string;
  session_id: string | null;
  status: string | null;
  customer_email: string | null;
  amount_total: string | number | null;
  currency: string | null;
  livemode: boolean | null;
  updated_at: Date | string | null;
  attention: string[] | null;
}

/**
 * A failed run that is the order's, not a stranger's: anyone can ask the landing page for any id, and Stripe
 * not knowing it is then nobody's problem (worker/report-failure.ts says the same in its logs). A signed
 * webhook for a session Stripe does not know still needs a person.
 */
function notAStrangersGuess(sql: postgres.Sql) {
  return sql`not (h.detail->>'trigger' = 'landing' and h.detail->>'errorCode' = 'session_not_found')`;
}

/** Disputes that wait for the merchant or the bank: a person has evidence to send, or an outcome to watch. */
const OPEN_DISPUTE = ['needs_response', 'under_review', 'warning_needs_response', 'warning_under_review'];

/** Why an order needs attention, as a text[] column; `column` is the query's own id column (a constant, never input). */
function attentionOf(sql: postgres.Sql, column: 'ids.id' | 'newest.id') {
  const id = sql.unsafe(column);
  return sql`array_remove(array[
    case when exists (select 1 from fulfillment_failures f where f.session_id = ${id}) then 'held' end,
    case when exists (select 1 from fulfillment_effects e where e.session_id = ${id} and e.status = 'dead') then 'dead_effects' end,
    case when (s.status is null or s.status not in ('fulfilled', 'payment_failed', 'expired')) and exists (
      select 1 from order_history h where h.session_id = ${id} and h.kind = 'run' and h.detail->>'finalFailure' = 'true' and ${notAStrangersGuess(sql)}) then 'failed_for_good' end,
    case when s.dispute_status in ${sql(OPEN_DISPUTE)} then 'dispute_open' end
  ], null)`;
}

function toSummary(r: Row): OrderSummary {
  return {
    sessionId: r.sid,
    status: r.status,
    customerEmail: r.customer_email,
    amountTotal: r.amount_total === null ? null : Number(r.amount_total),
    currency: r.currency,
    livemode: r.livemode,
    updatedAt: r.updated_at === null ? null : new Date(r.updated_at).toISOString(),
    attention: r.attention ?? [],
  };
}

/**
 * The order's story, oldest first (newest last, as the desk shows it): its history and, since issue 19, the
 * lines of its after-sale ledger (refunds, disputes, access changes), which the ledger keeps on its own.
 */
export async function orderTimeline(sql: postgres.Sql, sessionId: string, limit = 1000): Promise<HistoryEntry[]> {
  const rows = await sql<{ id: string; at: Date; actor: string | null; detail: unknown }[]>`
    select id, at, actor, detail from (
      (select id::text, at, actor, detail from order_history where session_id = ${sessionId} order by id desc limit ${limit})
      union all
      (select 'ledger-' || id, created_at, null, jsonb_build_object('kind', 'ledger', 'ledgerKind', kind, 'seq', seq,
        'lineItemId', line_item_id, 'access', access, 'previousAccess', previous_access, 'amountRefunded', amount_refunded,
        'refundState', refund_state, 'disputeStatus', dispute_status, 'stripeObject', stripe_object, 'eventId', event_id, 'trigger', trigger)
       from order_ledger where session_id = ${sessionId} order by id desc limit ${limit})
    ) story
    order by at, id`;
  return rows.map((r) => ({
    id: r.id,
    sessionId,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as HistoryDetail,
  }));
}
