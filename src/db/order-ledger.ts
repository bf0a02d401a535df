import type postgres from 'postgres';
import type { RefundableOrder } from '../domain/refund-request.js';

/** One line of an order's ledger as the CLI's `status` prints it (null fields left out). */
export type LedgerLine = Record<string, string | number>;

/** The order's ledger (order_ledger), oldest change first: what changed, when, and by which Stripe object. */
export async function orderLedger(sql: postgres.Sql, sessionId: string): Promise<LedgerLine[]> {
  const rows = await sql<Record<string, string | number | Date | null>[]>`
    select seq, kind, line_item_id, access, previous_access, amount_refunded, refund_state, dispute_status, stripe_object, event_id, trigger, created_at
    from order_ledger where session_id = ${sessionId} order by seq, id`;
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'string' && k === 'amount_refunded' ? Number(v) : (v as string | number)]),
    ),
  );
}

/** What a refund command checks its request against; undefined when Postgres has no row for the session. */
export async function refundableOrder(sql: postgres.Sql, sessionId: string): Promise<(RefundableOrder & { account: string | null }) | undefined> {
  const [session] = await sql<{ paymentIntent: string | null; amountTotal: string | null; amountRefunded: string; account: string | null }[]>`
    select payment_intent as "paymentIntent", amount_total as "amountTotal", amount_refunded as "amountRefunded", account
    from checkout_sessions where id = ${sessionId}`;
  if (session === undefined) return undefined;
  const items = await sql<{ id: string; amountTotal: string; access: string; cause: string | null }[]>`
    select id, amount_total as "amountTotal", access, access_cause as cause from checkout_line_items where session_id = ${sessionId} order by position`;
  return {
    sessionId,
    account: session.account,
    paymentIntent: session.paymentIntent,
    amountTotal: session.amountTotal === null ? null : Number(session.amountTotal),
    amountRefunded: Number(session.amountRefunded),
    lineItems: items.map((i) => ({ id: i.id, amountTotal: Number(i.amountTotal), access: i.access, cause: i.cause })),
  };
}
