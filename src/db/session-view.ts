import type { Db } from './client.js';
import type { SessionStatus } from '../domain/session-status.js';
import { checkoutLineItems, checkoutSessions } from './schema.js';
import { orm } from './drizzle.js';

const { asc, eq } = orm;

/** The public view of a session's fulfillment, as the status API and the landing page show it. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly payment_status: string;
  readonly fulfilled_at: string | null;
  readonly customer_email: string | null;
  readonly amount_total: number | null;
  readonly currency: string | null;
  readonly line_items: readonly {
    readonly id: string;
    readonly price: string | null;
    readonly product: string | null;
    readonly description: string | null;
    readonly quantity: number | null;
    readonly unit_amount: number | null;
    readonly amount_total: number;
    readonly currency: string;
  }[];
}

export async function findSessionView(db: Db, sessionId: string): Promise<SessionView | undefined> {
  const [session] = await db.select().from(checkoutSessions).where(eq(checkoutSessions.id, sessionId));
  if (session === undefined) return undefined;
  const items = await db
    .select()
    .from(checkoutLineItems)
    .where(eq(checkoutLineItems.sessionId, sessionId))
    .orderBy(asc(checkoutLineItems.position));
  return {
    session_id: session.id,
    status: session.status,
    payment_status: session.paymentStatus,
    fulfilled_at: session.fulfilledAt?.toISOString() ?? null,
    customer_email: session.customerEmail,
    amount_total: session.amountTotal,
    currency: session.currency,
    line_items: items.map((i) => ({
      id: i.id,
      price: i.priceId,
      product: i.productId,
      description: i.description,
      quantity: i.quantity,
      unit_amount: i.unitAmount,
      amount_total: i.amountTotal,
      currency: i.currency,
    })),
  };
}
