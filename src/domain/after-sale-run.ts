import type Stripe from 'stripe';
import type { AfterSaleTrigger } from './after-sale-events.js';
import { lineItemsOf, type AfterSaleFacts } from './after-sale-policy.js';
import { allLineItems } from './page-line-items.js';
import type { SessionStatus } from './session-status.js';

export interface AfterSaleRequest {
  readonly paymentIntent: string;
  readonly trigger: AfterSaleTrigger;
  readonly eventId?: string | undefined;
  readonly objectId?: string | undefined;
  readonly account?: string | undefined;
}

/** What recording one read came to (run/record-after-sale.ts). */
export type AfterSaleRecord =
  | { readonly kind: 'recorded'; readonly changed: boolean; readonly seq: number; readonly status: SessionStatus; readonly newEffects: readonly { id: string; kind: string }[] }
  /** A newer read is stored already: this run's is stale and changes nothing. */
  | { readonly kind: 'stale'; readonly seq: number; readonly status: SessionStatus }
  /** A hook must run: read the order from Stripe, then record again. */
  | { readonly kind: 'needs_order' }
  | { readonly kind: 'no_session' };

export interface AfterSaleRecordInput {
  readonly sessionId: string;
  readonly facts: AfterSaleFacts;
  readonly readAt: string;
  readonly order?: { readonly session: Stripe.Checkout.Session; readonly lineItems: readonly Stripe.LineItem[] } | undefined;
  readonly placeholder?: Stripe.Checkout.Session | undefined;
}

export interface AfterSaleDeps {
  readonly stripe: Stripe;
  /** The session recorded for this PaymentIntent (an indexed read, no Stripe call), and Postgres' clock before any Stripe read. */
  lookup(paymentIntent: string): Promise<{ readonly sessionId: string | undefined; readonly now: string }>;
  record(input: AfterSaleRecordInput): Promise<AfterSaleRecord>;
  /** Asks for the fulfillment of a paid session nothing has fulfilled yet (its checkout webhook is late or lost). */
  fulfill(sessionId: string): Promise<void>;
}

export type AfterSaleOutcome =
  | { readonly outcome: 'no_session'; readonly sessionId: null; readonly seq: null; readonly newEffects: readonly { id: string; kind: string }[] }
  | { readonly outcome: 'changed' | 'unchanged'; readonly sessionId: string; readonly seq: number; readonly newEffects: readonly { id: string; kind: string }[] };

/**
 * One after-sale run (issue 19): reads the PaymentIntent's refunds and disputes as Stripe has them now
 * (auto-paginated, https://docs.stripe.com/api/refunds/list, https://docs.stripe.com/api/disputes/list) and
 * records what they do to its order. Safe to run any number of times, concurrently: the state is derived
 * from Stripe's objects, never from the event. The order's session and line items are read only when a
 * handler's `revoke` or `reinstate` has to run. No row lock is held across a Stripe call.
 */
export async function afterSaleRun(req: AfterSaleRequest, deps: AfterSaleDeps): Promise<AfterSaleOutcome> {
  const opts = req.account === undefined ? undefined : { stripeAccount: req.account };
  const { sessionId: stored, now } = await deps.lookup(req.paymentIntent);
  let placeholder: Stripe.Checkout.Session | undefined;
  if (stored === undefined) {
    // Not recorded yet (a refund before the checkout webhook), or not a Checkout payment at all.
    const found = await deps.stripe.checkout.sessions.list({ payment_intent: req.paymentIntent, limit: 1 }, opts);
    placeholder = found.data[0];
    if (placeholder === undefined) return { outcome: 'no_session', sessionId: null, seq: null, newEffects: [] };
  }
  const sessionId = stored ?? (placeholder as Stripe.Checkout.Session).id;
  const facts = await readFacts(deps.stripe, req.paymentIntent, opts);
  let result = await deps.record({ sessionId, facts, readAt: now, placeholder });
  if (result.kind === 'needs_order') {
    const session = await deps.stripe.checkout.sessions.retrieve(sessionId, { expand: ['line_items.data.price.product'] }, opts);
    const lineItems = await allLineItems(deps.stripe, session, opts);
    result = await deps.record({ sessionId, facts, readAt: now, order: { session, lineItems } });
  }
  switch (result.kind) {
    case 'needs_order':
      throw new Error(`after-sale run for ${sessionId}: the order was read and a hook still needs it`);
    case 'no_session':
      return { outcome: 'no_session', sessionId: null, seq: null, newEffects: [] };
    case 'stale':
      return { outcome: 'unchanged', sessionId, seq: result.seq, newEffects: [] };
    case 'recorded':
      // Paid and not fulfilled: fulfill it now (it will be taken back in the same transaction).
      if (result.status === 'pending') await deps.fulfill(sessionId);
      return { outcome: result.changed ? 'changed' : 'unchanged', sessionId, seq: result.seq, newEffects: result.newEffects };
  }
}

/** Every refund and dispute of the PaymentIntent, reduced to what the policy reads. */
async function readFacts(stripe: Stripe, paymentIntent: string, opts: Stripe.RequestOptions | undefined): Promise<AfterSaleFacts> {
  const [refunds, disputes] = await Promise.all([
    stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 }, opts).autoPagingToArray({ limit: 10_000 }),
    stripe.disputes.list({ payment_intent: paymentIntent, limit: 100 }, opts).autoPagingToArray({ limit: 10_000 }),
  ]);
  return {
    refunds: refunds.map((r) => ({ id: r.id, amount: r.amount, status: r.status ?? 'pending', created: r.created, lineItems: lineItemsOf(r.metadata) })),
    disputes: disputes.map((d) => ({ id: d.id, status: d.status, created: d.created })),
  };
}
