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
 * Paid and expired sessions are recorded as their status says, a complete, unpaid one as its PaymentIntent
 * says (targetStatus: `payment_failed` on a known failure, else `awaiting_payment`). A PaymentIntent that
 * `succeeded` while the page's session still said unpaid is fresher than the page: a run reads the session
 * again and fulfills it (the decision never fulfills from state older than the payment).
 */
export function reconcileDecision(session: ListedSessionState): ReconcileDecision {
  const target = targetStatus(session);
  const pi = session.payment_intent;
  const piStatus = typeof pi === 'object' && pi !== null ? pi.status : undefined;
  if (target === 'awaiting_payment' && session.payment_status === 'unpaid' && piStatus === 'succeeded') return { run: 'payment_succeeded_after_page' };
  return { record: target };
}
