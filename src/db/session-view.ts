import type { Db } from './client.js';
import type { SessionStatus } from '../domain/session-status.js';
import type { ItemAccess, OrderAccess, RefundState } from '../domain/after-sale-policy.js';
import { checkoutLineItems, checkoutSessions, orderLedger } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';

const { and, asc, desc, eq, sql } = orm;

const reads = perDb((db) => ({
  session: db.select().from(checkoutSessions).where(eq(checkoutSessions.id, sql.placeholder('id'))).prepare('session_view'),
  items: db
    .select()
    .from(checkoutLineItems)
    .where(eq(checkoutLineItems.sessionId, sql.placeholder('id')))
    .orderBy(asc(checkoutLineItems.position))
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
  // Sent together (one round trip): a session not stored yet costs an empty read of its items.
  const [[session], items] = await Promise.all([q.session.execute({ id: sessionId }), q.items.execute({ id: sessionId })]);
  if (session === undefined) return undefined;
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
    line_items: items.map((i) => ({
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
