import type postgres from 'postgres';
import type Stripe from 'stripe';
import type { AfterSaleFacts, ItemAccess, OrderAccess, RefundState } from '../domain/after-sale-policy.js';
import type { OrderSnapshot } from '../effects/effect.js';
import { targetStatus, type SessionStatus } from '../domain/session-status.js';
import { storableRun } from '../domain/storable.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { sent } from '../lib/sent.js';
import { applyAfterSale, type AfterSaleSettings } from './apply-after-sale.js';
import type { AfterSaleRecord } from '../domain/after-sale-run.js';

export type { AfterSaleRecord };

export interface AfterSaleRunInput {
  readonly sessionId: string;
  readonly account: string | undefined;
  readonly facts: AfterSaleFacts;
  /** When this run began reading Stripe, by Postgres' clock (ISO): an older read never overwrites a newer one. */
  readonly readAt: string;
  readonly settings: AfterSaleSettings;
  readonly trigger: string;
  readonly eventId: string | undefined;
  readonly objectId: string | undefined;
  /** Stripe's session and line items, read when a hook has to run (the first attempt goes without). */
  readonly order?: { readonly session: Stripe.Checkout.Session; readonly lineItems: readonly Stripe.LineItem[] } | undefined;
  /** Stripe's session when Postgres has no row for it yet (a refund before the checkout webhook): stored as a placeholder. */
  readonly placeholder?: Stripe.Checkout.Session | undefined;
  readonly enqueuesAfterCommit: boolean;
}

interface Row {
  status: SessionStatus;
  amount_total: string | number | null;
  amount_refunded: string | number;
  refund_state: RefundState;
  dispute_status: string | null;
  access: OrderAccess | null;
  after_sale_seq: number;
  after_sale_read_at: Date | string | null;
  customer_email: string | null;
  customer_name: string | null;
  currency: string | null;
  amount_subtotal: string | number | null;
  livemode: boolean;
  fulfilled_at: Date | string | null;
}

interface ItemRow {
  id: string;
  access: ItemAccess;
  description: string | null;
  quantity: number | null;
  amount_total: string | number;
  currency: string;
  price_id: string | null;
  product_id: string | null;
}

/**
 * Records what a PaymentIntent's refunds and disputes, as one run read them, do to its order: in one
 * transaction holding the session's row lock (the fulfillment run takes the same lock), so the change is
 * recorded once however many runs race, and a fulfillment that commits meanwhile is seen (see placeholder).
 *
 * A session Postgres has no row for gets a placeholder row (status `pending`, the facts on it): its insert
 * waits for a concurrent fulfillment's insert of the same id to commit, so either this run sees the
 * fulfilled order and takes back, or the fulfillment finds the facts on the row and fulfills the order
 * taken back already (run/record-run.ts). No window in which the customer keeps what was refunded.
 */
export async function recordAfterSale(sql: postgres.Sql, input: AfterSaleRunInput, handlers: readonly FulfillmentHandler[]): Promise<AfterSaleRecord> {
  const tx = await sql.reserve();
  let open = false;
  try {
    await tx`begin`;
    open = true;
    if (input.placeholder !== undefined) await insertPlaceholder(tx, input.placeholder, input.account);
    const [row] = await tx<Row[]>`
      select status, amount_total, amount_refunded, refund_state, dispute_status, access, after_sale_seq, after_sale_read_at,
        customer_email, customer_name, currency, amount_subtotal, livemode, fulfilled_at
      from checkout_sessions where id = ${input.sessionId} for update`;
    if (row === undefined) {
      await tx`rollback`;
      open = false;
      return { kind: 'no_session' };
    }
    const storedReadAt = row.after_sale_read_at === null ? undefined : new Date(row.after_sale_read_at).getTime();
    if (storedReadAt !== undefined && storedReadAt > new Date(input.readAt).getTime()) {
      await tx`rollback`;
      open = false;
      return { kind: 'stale', seq: row.after_sale_seq, status: row.status };
    }
    const fulfilled = row.status === 'fulfilled';
    const rows = fulfilled
      ? await tx<ItemRow[]>`
          select id, access, description, quantity, amount_total, currency, price_id, product_id
          from checkout_line_items where session_id = ${input.sessionId} order by position`
      : undefined;
    const items = rows === undefined ? undefined : new Map(rows.map((r) => [r.id, r.access]));
    const now = new Date();
    const seq = row.after_sale_seq + 1;
    const applied = await applyAfterSale(tx, sql, handlers, {
      sessionId: input.sessionId,
      seq,
      facts: input.facts,
      settings: input.settings,
      amountTotal: Number(row.amount_total ?? 0),
      snapshot: rows === undefined ? undefined : snapshotOf(input.sessionId, row, rows),
      items,
      previous: { amountRefunded: Number(row.amount_refunded), refundState: row.refund_state, disputeStatus: row.dispute_status, access: row.access },
      order: input.order,
      now,
      trigger: input.trigger,
      eventId: input.eventId ?? null,
      objectId: input.objectId ?? null,
      enqueuesAfterCommit: input.enqueuesAfterCommit,
    });
    if (applied === 'needs_order') {
      await tx`rollback`;
      open = false;
      return { kind: 'needs_order' };
    }
    const newSeq = applied.changed ? seq : row.after_sale_seq;
    const { state } = applied;
    const updated = sent(tx`
      update checkout_sessions set amount_refunded = ${state.amountRefunded}, refund_state = ${state.refundState},
        dispute_status = ${state.disputeStatus}, access = ${applied.access}, after_sale_seq = ${newSeq},
        after_sale_facts = ${JSON.stringify(input.facts)}, after_sale_read_at = ${input.readAt}, updated_at = ${now.toISOString()}
      where id = ${input.sessionId}`);
    open = false;
    const committed = sent(tx`commit`);
    const [effects, ...rest] = await Promise.allSettled([applied.newEffects, updated, committed]);
    for (const r of [effects, ...rest]) if (r?.status === 'rejected') throw r.reason;
    return { kind: 'recorded', changed: applied.changed, seq: newSeq, status: row.status, newEffects: effects?.status === 'fulfilled' ? effects.value : [] };
  } catch (err) {
    if (open) await tx`rollback`.catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/**
 * The session's row before its fulfillment, from Stripe's list (no line items): `pending` when Stripe says
 * paid (the fulfillment run moves it on, and finds the facts), else the status Stripe's state gives.
 */
function insertPlaceholder(tx: postgres.ReservedSql, raw: Stripe.Checkout.Session, account: string | undefined) {
  const { session } = storableRun(raw, []);
  const target = targetStatus(session);
  const status: SessionStatus = target === 'fulfilled' ? 'pending' : target;
  const now = new Date().toISOString();
  const pi = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
  return tx`
    insert into checkout_sessions (id, account, status, payment_status, stripe_status, livemode, customer_email, customer_name,
      currency, amount_subtotal, amount_total, stripe_created_at, first_seen_at, updated_at, attempt_count, last_trigger, payment_intent)
    values (${session.id}, ${account ?? null}, ${status}, ${session.payment_status}, ${session.status}, ${session.livemode},
      ${session.customer_details?.email ?? session.customer_email ?? null}, ${session.customer_details?.name ?? null}, ${session.currency},
      ${session.amount_subtotal}, ${session.amount_total}, ${new Date(session.created * 1000).toISOString()}, ${now}, ${now}, 0, 'after_sale', ${pi})
    on conflict (id) do nothing`;
}

/** The order as the customer knows it, from its stored rows (the access email shows it; no Stripe read). */
function snapshotOf(sessionId: string, row: Row, items: readonly ItemRow[]): OrderSnapshot {
  return {
    sessionId,
    livemode: row.livemode,
    customerEmail: row.customer_email,
    customerName: row.customer_name,
    currency: row.currency,
    amountSubtotal: row.amount_subtotal === null ? null : Number(row.amount_subtotal),
    amountTotal: row.amount_total === null ? null : Number(row.amount_total),
    fulfilledAt: new Date(row.fulfilled_at ?? Date.now()).toISOString(),
    lineItems: items.map((i) => ({
      id: i.id,
      description: i.description,
      quantity: i.quantity,
      amountTotal: Number(i.amount_total),
      currency: i.currency,
      price: i.price_id,
      product: i.product_id,
    })),
    notes: [],
  };
}
