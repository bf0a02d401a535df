import { targetStatus, type SessionStatus, type StripeSessionState } from './session-status.js';

/**
 * What reconciliation does with a listed session that Postgres does not hold as final, decided from the
 * list page alone (no request of its own): record a status, or hand it to a fulfillment run.
 */
export type ReconcileDecision = { readonly record: SessionStatus } | { readonly run: 'payment_succeeded_after_page' };

/** A listed session as reconciliation reads it: with its PaymentIntent expanded (`expand[]=data.payment_intent`). */
export interface ListedSessionState extends StripeSessionState {
  /** The expanded PaymentIntent, its bare id when it was not expanded, or null (a free order, or none yet). */
  readonly payment_intent: string | { readonly status: string } | null;
}

/**
 * A delayed debit that failed leaves its session `complete`/`unpaid` for good: Stripe says so with the
 * `checkout.session.async_payment_failed` event and on the session's PaymentIntent, which "returns to
 * `requires_payment_method`" after a failed attempt (https://docs.stripe.com/payments/paymentintents/lifecycle);
 * a complete session cannot be paid again, so that status is final. `canceled` is final too.
 */
const FAILED: ReadonlySet<string> = new Set(['requires_payment_method', 'canceled']);

/**
 * Paid and expired sessions are recorded as their status says; a complete, unpaid one is `payment_failed`
 * when its PaymentIntent says the debit failed, and stays `awaiting_payment` while it is `processing` (or
 * in any state this code does not know, or not expanded): only a known failure is final. A PaymentIntent
 * that `succeeded` while the page's session still said unpaid is fresher than the page: a run reads the
 * session again and fulfills it (the decision never fulfills from state older than the payment).
 */
export function reconcileDecision(session: ListedSessionState): ReconcileDecision {
  const target = targetStatus(session, 'reconcile');
  if (target !== 'awaiting_payment' || session.payment_status !== 'unpaid') return { record: target };
  const pi = session.payment_intent;
  const piStatus = typeof pi === 'object' && pi !== null ? pi.status : undefined;
  if (piStatus === undefined) return { record: target };
  if (FAILED.has(piStatus)) return { record: 'payment_failed' };
  if (piStatus === 'succeeded') return { run: 'payment_succeeded_after_page' };
  return { record: target };
}
