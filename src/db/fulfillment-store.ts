import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { LineItemFulfiller, RunOutcome } from '../domain/line-item-fulfiller.js';
import { isFinal, nextStatus } from '../domain/session-status.js';
import type { Trigger } from '../queue/contract.js';
import type { Db } from './client.js';
import { checkoutSessions, type SessionStatus } from './schema.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface RunInput {
  readonly session: Stripe.Checkout.Session;
  /** Every line item, already fetched (empty unless the target is `fulfilled`). */
  readonly lineItems: readonly Stripe.LineItem[];
  readonly target: SessionStatus;
  readonly trigger: Trigger;
  readonly eventId?: string | undefined;
  readonly account?: string | undefined;
}

/**
 * Records one fulfillment run in one transaction, exactly once per session however many runs race:
 * claim the row (insert if new, then `FOR UPDATE`), return if it is already final, else run every
 * fulfiller and move the status forward. No network call happens while the row lock is held.
 */
export async function recordRun(
  db: Db,
  input: RunInput,
  fulfillers: readonly LineItemFulfiller<Tx>[],
): Promise<RunOutcome> {
  const { session } = input;
  return db.transaction(async (tx) => {
    await tx
      .insert(checkoutSessions)
      .values({ ...sessionColumns(input), status: 'pending' })
      .onConflictDoNothing({ target: checkoutSessions.id });
    const [row] = await tx
      .select({ status: checkoutSessions.status })
      .from(checkoutSessions)
      .where(eq(checkoutSessions.id, session.id))
      .for('update');
    if (row === undefined) throw new Error(`session row ${session.id} vanished inside its transaction`);
    if (isFinal(row.status)) return { sessionId: session.id, status: row.status, changed: false, lineItemCount: 0 };

    const status = nextStatus(row.status, input.target);
    const fulfilledAt = new Date();
    if (status === 'fulfilled') {
      for (const f of fulfillers) await f.fulfill({ tx, session, lineItems: input.lineItems, fulfilledAt });
    }
    await tx
      .update(checkoutSessions)
      .set({
        ...sessionColumns(input),
        status,
        updatedAt: fulfilledAt,
        fulfilledAt: status === 'fulfilled' ? fulfilledAt : null,
        attemptCount: sql`${checkoutSessions.attemptCount} + 1`,
      })
      .where(eq(checkoutSessions.id, session.id));
    return {
      sessionId: session.id,
      status,
      changed: status !== row.status,
      lineItemCount: status === 'fulfilled' ? input.lineItems.length : 0,
    };
  });
}

function sessionColumns({ session, trigger, eventId, account }: RunInput) {
  return {
    id: session.id,
    account: account ?? null,
    paymentStatus: session.payment_status,
    stripeStatus: session.status,
    livemode: session.livemode,
    customerEmail: session.customer_details?.email ?? session.customer_email ?? null,
    customerName: session.customer_details?.name ?? null,
    currency: session.currency,
    amountSubtotal: session.amount_subtotal,
    amountTotal: session.amount_total,
    stripeCreatedAt: new Date(session.created * 1000),
    lastTrigger: trigger,
    lastEventId: eventId ?? null,
  };
}
