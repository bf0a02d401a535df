import type { Db } from './client.js';
import type { SessionStatus } from '../domain/session-status.js';
import type { ItemAccess, OrderAccess, RefundState } from '../domain/after-sale-policy.js';
import { checkoutLineItems, checkoutSessions, orderLedger } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';
import { SHOWN_LINE_ITEMS } from '../domain/line-item-bound.js';

const { and, asc, desc, eq, sql } = orm;

const reads = perDb((db) => ({
  session: db.select().from(checkoutSessions).where(eq(checkoutSessions.id, sql.placeholder('id'))).prepare('session_view'),
  // The first SHOWN_LINE_ITEMS only, with the count of all (a window count is taken before the limit): a
  // 10,000-item session made a 2 MB answer of every status poll and order page load.
  items: db
    .select({ item: checkoutLineItems, count: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(checkoutLineItems)
    .where(eq(checkoutLineItems.sessionId, sql.placeholder('id')))
    .orderBy(asc(checkoutLineItems.position))
    .limit(SHOWN_LINE_ITEMS)
    .prepare('session_view_items'),
  refundedAt: db
    .select({ at: orderLedger.createdAt })
    .from(orderLedger)
    .where(and(eq(orderLedger.sessionId, sql.placeholder('id')), eq(orderLedger.kind, 'refund')))
    .orderBy(desc(orderLedger.seq))
    .limit(1)
    .prepare('session_view_refunded_at'),
}));

/** The public view of a session's fulfillment, as the status API and the landing page show it. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly payment_status: string;
  readonly fulfilled_at: string | null;
  readonly customer_email: string | null;
  readonly amount_total: number | null;
  readonly currency: string | null;
  /** The OpenTelemetry trace of the last run that recorded it (null: tracing was off): support's way into the trace. */
  readonly trace_id: string | null;
  /** After the sale (issue 19): refunds succeeded or pending, in minor units. */
  readonly amount_refunded: number;
  readonly refund_state: RefundState;
  /** The latest dispute's status as Stripe has it, or null. */
  readonly dispute_status: string | null;
  /** null before fulfillment. */
  readonly access: OrderAccess | null;
  /** When the refunded amount last changed (the ledger's latest refund line); null without a refund. Not in the status API. */
  readonly refunded_at: string | null;
  /** How many line items the session has; `line_items` holds the first SHOWN_LINE_ITEMS of them. */
  readonly line_item_count: number;
  readonly line_items: readonly {
    readonly id: string;
    readonly price: string | null;
    readonly product: string | null;
    readonly description: string | null;
    readonly quantity: number | null;
    readonly unit_amount: number | null;
    readonly amount_total: number;
    readonly currency: string;
    readonly access: ItemAccess;
  }[];
}

export async function findSessionView(db: Db, sessionId: string): Promise<SessionView | undefined> {
  const q = reads(db);
  // The items after the session, not beside it: sent together they may run on two pooled connections,
  // and the items' statement could start before the run's commit that the session's saw (a 'fulfilled'
  // session with no items, seen by the payment-flows tests). A session not stored yet costs no items read.
  const [session] = await q.session.execute({ id: sessionId });
  if (session === undefined) return undefined;
  const rows = await q.items.execute({ id: sessionId });
  // Only a refunded order pays for this read (the order page says when).
  const refundedAt = session.amountRefunded > 0 ? ((await q.refundedAt.execute({ id: sessionId }))[0]?.at ?? null) : null;
  return {
    session_id: session.id,
    status: session.status,
    payment_status: session.paymentStatus,
    fulfilled_at: session.fulfilledAt?.toISOString() ?? null,
    customer_email: session.customerEmail,
    amount_total: session.amountTotal,
    currency: session.currency,
    trace_id: session.lastTraceId,
    amount_refunded: session.amountRefunded,
    refund_state: session.refundState,
    dispute_status: session.disputeStatus,
    // A placeholder (a refund recorded before the fulfillment) holds no access yet.
    access: session.status === 'fulfilled' ? session.access : null,
    refunded_at: refundedAt === null ? null : new Date(refundedAt).toISOString(),
    line_item_count: rows[0]?.count ?? 0,
    line_items: rows.map(({ item: i }) => ({
      id: i.id,
      price: i.priceId,
      product: i.productId,
      description: i.description,
      quantity: i.quantity,
      unit_amount: i.unitAmount,
      amount_total: i.amountTotal,
      currency: i.currency,
      access: i.access,
    })),
  };
}
