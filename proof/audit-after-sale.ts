import type postgres from 'postgres';
import { deriveAfterSale, lineItemsOf, type AfterSaleFacts, type DisputePolicy } from '../src/domain/after-sale-policy.js';
import type { Emulator } from '../src/emulator/server.js';

/**
 * After the sale, the audit's part: every fulfilled order's refund state and access (the order's and each line
 * item's) equal what the policy derives from the refunds and disputes the emulator (Stripe) holds now, and the
 * ledger replayed (its last access line per item, its last refund line) ends where the columns are.
 * Returns the problems found (at most `max`) and how many orders had a refund or a dispute.
 */
export async function auditAfterSale(sql: postgres.Sql, emulator: Emulator, sessionIds: readonly string[], policy: DisputePolicy, max = 10): Promise<{ orders: number; problems: string[] }> {
  const problems: string[] = [];
  let orders = 0;
  const rows = await sql<{ id: string; amount_total: string; amount_refunded: string; refund_state: string; access: string | null }[]>`
    select id, amount_total, amount_refunded, refund_state, access from checkout_sessions where id = any(${sessionIds as string[]}) and status = 'fulfilled'`;
  const items = await sql<{ session_id: string; id: string; access: string }[]>`
    select session_id, id, access from checkout_line_items where session_id = any(${sessionIds as string[]}) order by session_id, position`;
  const ledger = await sql<{ session_id: string; kind: string; line_item_id: string | null; access: string | null; amount_refunded: string | null }[]>`
    select session_id, kind, line_item_id, access, amount_refunded from order_ledger where session_id = any(${sessionIds as string[]}) order by session_id, seq, id`;
  const complain = (p: string) => problems.length < max && problems.push(p);
  for (const row of rows) {
    const pi = emulator.store.peek(row.id)?.session.payment_intent;
    if (typeof pi !== 'string') continue;
    const facts = factsOf(emulator, pi);
    if (facts.refunds.length + facts.disputes.length > 0) orders++;
    const lines = items.filter((i) => i.session_id === row.id);
    const want = deriveAfterSale(facts, { amountTotal: Number(row.amount_total), lineItemIds: lines.map((l) => l.id) }, policy);
    const have = { amountRefunded: Number(row.amount_refunded), refundState: row.refund_state, access: row.access, items: lines.map((l) => l.access) };
    const expected = { amountRefunded: want.amountRefunded, refundState: want.refundState, access: want.access, items: want.items.map((i) => i.access) };
    if (JSON.stringify(have) !== JSON.stringify(expected)) complain(`${row.id}: after the sale ${JSON.stringify(have)}, Stripe's objects say ${JSON.stringify(expected)}`);
    // The ledger replayed: the fulfilled line gives every item `active`, each access line moves one item.
    const own = ledger.filter((l) => l.session_id === row.id);
    const replayed = new Map(lines.map((l) => [l.id, 'active']));
    let refunded = 0;
    for (const l of own) {
      if (l.kind === 'access' && l.line_item_id !== null && l.access !== null) replayed.set(l.line_item_id, l.access);
      if (l.kind === 'refund' && l.amount_refunded !== null) refunded = Number(l.amount_refunded);
    }
    if (own[0]?.kind !== 'fulfilled') complain(`${row.id}: the ledger does not start with its fulfillment`);
    if (refunded !== have.amountRefunded || lines.some((l) => replayed.get(l.id) !== l.access)) complain(`${row.id}: the ledger replayed does not end at the order's columns`);
  }
  return { orders, problems };
}

function factsOf(emulator: Emulator, paymentIntent: string): AfterSaleFacts {
  const account = undefined;
  return {
    refunds: emulator.refunds.list({ account, paymentIntent }).map((r) => ({ id: r.id, amount: r.amount, status: r.status ?? 'pending', created: r.created, lineItems: lineItemsOf(r.metadata) })),
    disputes: emulator.disputes.list({ account, paymentIntent }).map((d) => ({ id: d.id, status: d.status, created: d.created })),
  };
}
