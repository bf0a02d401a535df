import type { Trigger } from './trigger.js';

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
}

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
 * The status a run should move the session to, from fresh Stripe state and what triggered the run.
 * Step 4 of Stripe's "Fulfill orders" guide: fulfill when `payment_status` is not `unpaid`.
 * A failed delayed payment leaves the session `complete`/`unpaid`, so only the event says it failed.
 */
export function targetStatus(session: StripeSessionState, trigger: Trigger): SessionStatus {
  if (session.status === 'complete' && PAID.has(session.payment_status)) return 'fulfilled';
  if (session.status === 'expired') return 'expired';
  if (trigger === 'checkout.session.async_payment_failed') return 'payment_failed';
  if (session.status === 'complete') return 'awaiting_payment';
  return 'pending';
}

/** Status only moves forward: final states never change, and no run moves a session back. */
export function nextStatus(current: SessionStatus, target: SessionStatus): SessionStatus {
  if (isFinal(current)) return current;
  return RANK[target] >= RANK[current] ? target : current;
}
