import type Stripe from 'stripe';
import { allLineItems } from './page-line-items.js';
import type { RunOutcome } from './run-outcome.js';
import { isFinal, targetStatus, type SessionStatus } from './session-status.js';
import type { Trigger } from './trigger.js';

export interface FulfillRequest {
  readonly sessionId: string;
  readonly trigger: Trigger;
  readonly eventId?: string | undefined;
  /** Connected account that owns the session (Stripe Connect). */
  readonly account?: string | undefined;
  /** When the session was created (Unix seconds), from the event: makes the run eligible for a batched read. */
  readonly created?: number | undefined;
}

export interface FulfillDeps {
  readonly stripe: Stripe;
  /**
   * The session's stored status, undefined when nothing is stored for it: one indexed read that spares
   * Stripe every request of a run that cannot change anything (a redelivery, a rerun after a crash), and
   * tells the recorder when the session is new.
   */
  readonly stored?: (sessionId: string) => Promise<{ status: SessionStatus; customerEmail: string | null } | undefined>;
  /**
   * The session and its line items read together with other runs' (stripe/session-batcher.ts), or
   * undefined when this run must retrieve it alone. Line items undefined: a product could not be read.
   */
  readonly batched?: (req: FulfillRequest & { created: number }) => Promise<{ session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] | undefined } | undefined>;
  /** Records the run in one transaction (see run/record-run.ts). */
  readonly record: (input: {
    session: Stripe.Checkout.Session;
    lineItems: readonly Stripe.LineItem[];
    target: SessionStatus;
    trigger: Trigger;
    eventId?: string | undefined;
    account?: string | undefined;
    /** Nothing was stored for the session when this run began (the pre-read said so). */
    expectNew?: boolean | undefined;
  }) => Promise<RunOutcome>;
}

/**
 * `fulfill_checkout` from Stripe's "Fulfill orders" guide (https://docs.stripe.com/checkout/fulfillment):
 * safe to call any number of times, concurrently, for the same session. All Stripe calls happen before
 * the transaction, so no row lock is held across the network.
 */
export async function fulfillCheckout(req: FulfillRequest, deps: FulfillDeps): Promise<RunOutcome> {
  // Final is final (session-status.ts): the transaction would change nothing, so neither may Stripe reads.
  const stored = deps.stored === undefined ? undefined : { row: await deps.stored(req.sessionId) };
  if (stored?.row !== undefined && isFinal(stored.row.status)) {
    return { sessionId: req.sessionId, status: stored.row.status, changed: false, lineItemCount: 0, customerEmail: stored.row.customerEmail };
  }
  const expectNew = stored !== undefined && stored.row === undefined;
  // A failed delayed debit shows only on the PaymentIntent, which a batched list page does not carry: that
  // event's run reads the session alone, with it.
  const created = req.trigger === 'checkout.session.async_payment_failed' ? undefined : req.created;
  const batched = created === undefined ? undefined : await deps.batched?.({ ...req, created });
  // A product the batch could not read: retrieve alone with products expanded, never record items without their kind.
  if (batched?.lineItems !== undefined) {
    const target = targetStatus(batched.session);
    const lineItems = target === 'fulfilled' ? batched.lineItems : [];
    return deps.record({ session: batched.session, lineItems, target, trigger: req.trigger, eventId: req.eventId, account: req.account, expectNew });
  }
  const opts = req.account === undefined ? undefined : { stripeAccount: req.account };
  // The product rides along (its metadata says how to fulfill each item) at no extra request, and so does
  // the PaymentIntent: whether an unpaid session's debit failed is decided from it, not from the event's name.
  const retrieved = await deps.stripe.checkout.sessions.retrieve(req.sessionId, { expand: ['line_items.data.price.product', 'payment_intent'] }, opts);
  const target = targetStatus(retrieved);
  // Recorded as Stripe sends the session without the expansion (the PaymentIntent's id), as the batched path has it.
  const session = withPaymentIntentId(retrieved);
  const lineItems = target === 'fulfilled' ? await allLineItems(deps.stripe, session, opts) : [];
  return deps.record({ session, lineItems, target, trigger: req.trigger, eventId: req.eventId, account: req.account, expectNew });
}

/**
 * The session with its expanded PaymentIntent put back to its id, as every other path (the batched list,
 * webhooks) gives it to handlers. In place: the id is a string of the same storable answer, so the object
 * stays vouched storable (storable.ts) and its run skips the walk.
 */
function withPaymentIntentId(session: Stripe.Checkout.Session): Stripe.Checkout.Session {
  const pi = session.payment_intent;
  if (pi !== null && typeof pi !== 'string') session.payment_intent = pi.id;
  return session;
}
