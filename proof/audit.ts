import { idempotencyKey } from '../src/effects/effect-store.js';
import { auditAfterSale } from './audit-after-sale.js';
import type { Fleet } from './fleet.js';
import type { Expected } from './workload.js';

/** What the audit found; `problems` empty means Postgres agrees with Stripe and with the receivers. */
export interface AuditResult {
  readonly sessions: number;
  readonly fulfilled: number;
  /** Paid sessions not fulfilled, or any session in the wrong state / with the wrong line items. */
  readonly lost: number;
  /** Rows beyond one per session / line item / effect (the keys make this impossible; the audit checks anyway). */
  readonly duplicateRows: number;
  readonly effects: number;
  readonly effectsUndelivered: number;
  /** Deliveries a receiver saw more than once for one idempotency key (allowed: the crash window). */
  readonly effectsDeliveredTwice: number;
  /** Why, for each extra delivery: the last failed attempt's code (`attempt_timeout`, …), or "one attempt" when none explains it. */
  readonly deliveredTwiceWhy: Record<string, number>;
  readonly failedJobs: number;
  /** Fulfilled orders with a refund or a dispute at Stripe: each checked against the policy and its ledger. */
  readonly afterSaleOrders: number;
  readonly problems: string[];
}

interface SessionRow {
  id: string;
  status: string;
  items: number;
  item_total: number;
  amount_total: number | null;
}

/**
 * A full audit of Postgres against what the emulator knows and what the SMTP sink and callback receiver got.
 * Strict in every scenario, FLUSHALL included: reconciliation restores unpaid states (expired, failed debit) too.
 */
export async function audit(fleet: Fleet, expected: readonly Expected[]): Promise<AuditResult> {
  const sql = fleet.stack.db.sql;
  const ids = expected.map((e) => e.id);
  const rows = await sql<SessionRow[]>`
    select s.id, s.status, s.amount_total,
           (select count(*)::int from checkout_line_items l where l.session_id = s.id) as items,
           (select coalesce(sum(l.amount_total), 0)::bigint from checkout_line_items l where l.session_id = s.id)::float8 as item_total
    from checkout_sessions s where s.id = any(${ids})`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const problems: string[] = [];
  let lost = 0;
  for (const e of expected) {
    const r = byId.get(e.id);
    const stripeTotal = fleet.stack.emulator.store.peek(e.id)?.session.amount_total ?? null;
    const wrong =
      r === undefined ? 'no row' : r.status !== e.status ? `status ${r.status}, want ${e.status}` : r.items !== e.lineItems ? `${r.items} line items, want ${e.lineItems}` : e.lineItems > 0 && r.item_total !== stripeTotal ? `line items total ${r.item_total}, Stripe says ${stripeTotal}` : undefined;
    if (wrong !== undefined) {
      lost++;
      if (problems.length < 10) problems.push(`${e.id}: ${wrong}`);
    }
  }
  const [dup] = await sql<{ n: number }[]>`
    select (select count(*) - count(distinct id) from checkout_sessions)
         + (select count(*) - count(distinct (session_id, id)) from checkout_line_items)
         + (select count(*) - count(distinct (session_id, scope, kind, target)) from fulfillment_effects) as n`;
  const effects = await sql<{ session_id: string; scope: string; kind: string; target: string; status: string; attempts: number; last_code: string | null }[]>`
    select session_id, scope, kind, target, status, attempts, last_code from fulfillment_effects where session_id = any(${ids})`;
  const received = new Map<string, number>();
  const count = (key: string | undefined) => key !== undefined && received.set(key, (received.get(key) ?? 0) + 1);
  for (const c of fleet.callbacks.received) count(headerOf(c.headers['webhook-id']));
  for (const m of fleet.smtp.mails) count(m.parsed.messageId?.replace(/^<|>$/g, '').split('@')[0]);
  let undelivered = 0;
  let twice = 0;
  let unexplained = 0;
  const twiceWhy: Record<string, number> = {};
  for (const f of effects) {
    const key = idempotencyKey(f.session_id, f.scope, f.kind, f.target);
    const seen = received.get(key) ?? 0;
    if (f.status !== 'delivered' || seen === 0) {
      undelivered++;
      if (problems.length < 20) problems.push(`effect ${f.kind} of ${f.session_id}: ${f.status}, received ${seen}×`);
    }
    if (seen > 1) {
      twice += seen - 1;
      const why = f.attempts <= 1 ? 'one attempt' : `${f.kind} after ${f.last_code ?? 'an attempt that never settled (its worker died)'}`;
      twiceWhy[why] = (twiceWhy[why] ?? 0) + seen - 1;
    }
    // Each attempt hands the receiver the effect at most once: more deliveries than attempts is a duplicate that no
    // retry explains (the allowed "twice" comes from an attempt that failed or timed out after the receiver took it).
    if (seen > f.attempts) {
      unexplained++;
      if (problems.length < 20) problems.push(`effect ${f.kind} of ${f.session_id}: received ${seen}× in ${f.attempts} attempts`);
    }
  }
  if (unexplained > 0) problems.push(`${unexplained} effects received more times than they were attempted`);
  const fulfilled = expected.filter((e) => e.status === 'fulfilled');
  const withoutEffects = fulfilled.filter((e) => !effects.some((f) => f.session_id === e.id && f.kind === 'callback') || !effects.some((f) => f.session_id === e.id && f.kind === 'email'));
  for (const e of withoutEffects.slice(0, 5)) problems.push(`${e.id}: fulfilled without an email and a callback effect`);
  const afterSale = await auditAfterSale(sql, fleet.stack.emulator, fulfilled.map((e) => e.id), 'suspend');
  problems.push(...afterSale.problems);
  const failedJobs = (await fleet.stack.queue.getFailedCount()) + (await fleet.stack.afterSaleQueue.getFailedCount());
  const [held] = await sql<{ n: number }[]>`select count(*)::int as n from fulfillment_failures`;
  if (failedJobs > 0) problems.push(`${failedJobs} failed jobs`);
  if ((held?.n ?? 0) > 0) problems.push(`${held?.n} sessions held in fulfillment_failures`);
  if (lost > 0) problems.push(`${lost} sessions wrong`);
  const duplicateRows = Number(dup?.n ?? 0);
  if (duplicateRows > 0) problems.push(`${duplicateRows} duplicate rows`);
  if (withoutEffects.length > 0) problems.push(`${withoutEffects.length} fulfilled sessions without their effects`);
  return { sessions: expected.length, fulfilled: fulfilled.length, lost, duplicateRows, effects: effects.length, effectsUndelivered: undelivered, effectsDeliveredTwice: twice, deliveredTwiceWhy: twiceWhy, failedJobs, afterSaleOrders: afterSale.orders, problems };
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
