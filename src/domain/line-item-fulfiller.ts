import type Stripe from 'stripe';
import type { SessionStatus } from './session-status.js';

/**
 * One fulfillment action for the line items of a paid session: record the order, grant access, reserve
 * stock, queue a shipment. Fulfillers run inside the session's fulfillment transaction, in order, at most
 * once per session; they write only through `tx`. Effects outside Postgres (emails, callbacks) belong in a
 * transactional outbox written through `tx`, never performed inline.
 */
export interface LineItemFulfiller<Tx> {
  readonly name: string;
  fulfill(ctx: FulfillmentContext<Tx>): Promise<void>;
}

export interface FulfillmentContext<Tx> {
  readonly tx: Tx;
  readonly session: Stripe.Checkout.Session;
  readonly lineItems: readonly Stripe.LineItem[];
  readonly fulfilledAt: Date;
}

export interface RunOutcome {
  readonly sessionId: string;
  readonly status: SessionStatus;
  /** Whether this run changed the stored status (false when another run got there first). */
  readonly changed: boolean;
  readonly lineItemCount: number;
  /** For the run's log line (redacted unless LOG_PII=true); never part of the job's result. */
  readonly customerEmail?: string | null;
}
