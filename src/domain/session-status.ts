/**
 * Fulfillment states: the one list that the TypeScript union, the schema's check constraint (db/schema.ts)
 * and every SQL status list derive from. Order matters: a session only moves to a later rank.
 */
export const SESSION_STATUSES = ['pending', 'awaiting_payment', 'fulfilled', 'payment_failed', 'expired'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** States no run ever changes. */
export const FINAL_STATUSES = ['fulfilled', 'payment_failed', 'expired'] as const satisfies readonly SessionStatus[];

/** What Stripe says about a session, reduced to what the decision needs. */
export interface StripeSessionState {
  /** `open`, `complete` or `expired` (typed as string: Stripe may add values). */
  readonly status: string | null;
  /** `paid`, `unpaid` or `no_payment_required`. */
  readonly payment_status: string;
  /**
   * The session's PaymentIntent when it was expanded (`expand[]=payment_intent`), its bare id when not, or
   * null (a free order, or none yet). Absent: not read.
   */
  readonly payment_intent?: string | { readonly status: string } | null;
}

/**
 * A delayed debit that failed leaves its session `complete`/`unpaid` for good: Stripe says so on the
 * session's PaymentIntent, which "returns to `requires_payment_method`" after a failed attempt
 * (https://docs.stripe.com/payments/paymentintents/lifecycle); a complete session cannot be paid again, so
 * that status is final. `canceled` is final too.
 */
const PAYMENT_FAILED: ReadonlySet<string> = new Set(['requires_payment_method', 'canceled']);

const PAID: ReadonlySet<string> = new Set(['paid', 'no_payment_required']);
const FINAL: ReadonlySet<SessionStatus> = new Set(FINAL_STATUSES);
const RANK: Record<SessionStatus, number> = {
  pending: 0,
  awaiting_payment: 1,
  fulfilled: 2,
  payment_failed: 2,
  expired: 2,
};

export function isFinal(status: SessionStatus): boolean {
  return FINAL.has(status);
}

/**
 * The status a run should move the session to, from Stripe's state as it is now (never from the name of
 * the event that asked: an `async_payment_failed` can arrive while the PaymentIntent is still processing,
 * or be forged by a sequence of redeliveries). Step 4 of Stripe's "Fulfill orders" guide: fulfill when
 * `payment_status` is not `unpaid`. A complete, unpaid session is `payment_failed` only when its expanded
 * PaymentIntent says the debit failed; while it is `processing` (or not read, or in a state this code does
 * not know) it stays `awaiting_payment`, and the next event or reconciliation decides.
 */
export function targetStatus(session: StripeSessionState): SessionStatus {
  if (session.status === 'complete' && PAID.has(session.payment_status)) return 'fulfilled';
  if (session.status === 'expired') return 'expired';
  if (session.status !== 'complete') return 'pending';
  const pi = session.payment_intent;
  const piStatus = typeof pi === 'object' && pi !== null ? pi.status : undefined;
  if (session.payment_status === 'unpaid' && piStatus !== undefined && PAYMENT_FAILED.has(piStatus)) return 'payment_failed';
  return 'awaiting_payment';
}

/** Status only moves forward: final states never change, and no run moves a session back. */
export function nextStatus(current: SessionStatus, target: SessionStatus): SessionStatus {
  if (isFinal(current)) return current;
  return RANK[target] >= RANK[current] ? target : current;
}
