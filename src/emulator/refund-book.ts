import type Stripe from 'stripe';
import { formatMoney } from '../domain/money.js';
import { buildRefund } from './after-sale-objects.js';
import { matches, type AfterSaleFilter, type DisputeBook } from './dispute-book.js';
import { buildEvent } from './events.js';
import { randomId } from './ids.js';
import { InvalidState, NotFound, type EmulatorStore } from './store.js';
import { StripeRequestError } from './stripe-error.js';

export interface RefundParams {
  readonly paymentIntent?: string | undefined;
  readonly charge?: string | undefined;
  /** Minor units; the charge's unrefunded remainder when absent. */
  readonly amount?: number | undefined;
  readonly reason?: Stripe.Refund.Reason | undefined;
  readonly metadata?: Record<string, string> | undefined;
}

interface Stored {
  refund: Stripe.Refund;
  account: string | undefined;
}

/** Refund statuses that count toward `charge.amount_refunded`, as Stripe counts them. */
const COUNTED = new Set(['succeeded', 'pending']);
/** Where a refund may go later: a pending one settles; a succeeded one can still fail (an expired card) or be canceled. */
const MOVES: Record<string, readonly string[]> = { pending: ['succeeded', 'failed', 'canceled'], succeeded: ['failed', 'canceled'] };

/**
 * Refunds of paid charges (https://docs.stripe.com/api/refunds) and the Charge as it stands with them
 * (`amount_refunded`, `refunded`, `disputed`), with Stripe's errors and its Idempotency-Key rule: the same key
 * with the same parameters returns the first response; with other parameters it is refused.
 */
export class RefundBook {
  private readonly refunds = new Map<string, Stored>();
  private readonly idempotent = new Map<string, { params: string; refund: Stripe.Refund }>();

  constructor(
    private readonly store: EmulatorStore,
    private readonly disputes: DisputeBook,
    private readonly initialStatus: () => 'succeeded' | 'pending',
  ) {}

  /** The Charge as its owner sees it now. */
  charge(id: string, account: string | undefined, param = 'id'): Stripe.Charge {
    const stored = this.store.peekCharge(id);
    if (stored === undefined || stored.account !== account) throw new NotFound(`No such charge: '${id}'`, param);
    const refunded = this.refundedAmount(id);
    return { ...stored.charge, amount_refunded: refunded, refunded: refunded >= stored.charge.amount, disputed: this.disputes.forCharge(id) !== undefined };
  }

  create(params: RefundParams, account: string | undefined, idempotencyKey?: string): { refund: Stripe.Refund; events: Stripe.Event[]; replayed: boolean } {
    const key = idempotencyKey === undefined ? undefined : `${account ?? ''} ${idempotencyKey}`;
    const fingerprint = JSON.stringify(params);
    const seen = key === undefined ? undefined : this.idempotent.get(key);
    if (seen !== undefined) {
      if (seen.params !== fingerprint) {
        throw new StripeRequestError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          {},
          'idempotency_error',
        );
      }
      return { refund: seen.refund, events: [], replayed: true };
    }
    const charge = this.refundable(params, account);
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining <= 0) throw new StripeRequestError(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = params.amount ?? remaining;
    if (amount > remaining) {
      throw new StripeRequestError(
        `Refund amount (${formatMoney(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, charge.currency)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    const refund = buildRefund({ charge, amount, reason: params.reason ?? null, metadata: params.metadata ?? {}, status: this.initialStatus() });
    this.refunds.set(refund.id, { refund, account });
    if (key !== undefined) this.idempotent.set(key, { params: fingerprint, refund: structuredClone(refund) });
    const origin = { livemode: charge.livemode, account };
    const events = [buildEvent('refund.created', refund, origin), buildEvent('charge.refunded', this.charge(charge.id, account), origin)];
    return { refund, events, replayed: false };
  }

  /** Settles a pending refund, or fails or cancels one later, with `refund.updated` (and `refund.failed`). */
  move(id: string, to: 'succeeded' | 'failed' | 'canceled', failureReason = 'expired_or_canceled_card'): { refund: Stripe.Refund; events: Stripe.Event[] } {
    const s = this.refunds.get(id);
    if (s === undefined) throw new NotFound(`No such refund: '${id}'`);
    const from = s.refund.status ?? 'pending';
    if (!(MOVES[from] ?? []).includes(to)) throw new InvalidState(`refund ${id} is ${from}; it cannot become ${to}`);
    const failed = to === 'failed' ? { failure_reason: failureReason, failure_balance_transaction: randomId('txn_', 24) } : {};
    s.refund = { ...s.refund, status: to, ...failed } as Stripe.Refund;
    const origin = { livemode: this.store.peekCharge(String(s.refund.charge))?.charge.livemode ?? false, account: s.account };
    const events = [buildEvent('refund.updated', s.refund, { ...origin, previous: { status: from } })];
    if (to === 'failed') events.push(buildEvent('refund.failed', s.refund, origin));
    return { refund: s.refund, events };
  }

  get(id: string, account: string | undefined): Stripe.Refund {
    const s = this.refunds.get(id);
    if (s === undefined || s.account !== account) throw new NotFound(`No such refund: '${id}'`);
    return s.refund;
  }

  /** Newest first, as `GET /v1/refunds` lists them. */
  list(f: AfterSaleFilter): Stripe.Refund[] {
    return [...this.refunds.values()]
      .filter((s) => s.account === f.account && matches(s.refund, f))
      .map((s) => s.refund)
      .reverse();
  }

  private refundedAmount(chargeId: string): number {
    let sum = 0;
    for (const s of this.refunds.values()) if (s.refund.charge === chargeId && COUNTED.has(s.refund.status ?? '')) sum += s.refund.amount;
    return sum;
  }

  /** The charge a refund request names, if it can be refunded at all. */
  private refundable(params: RefundParams, account: string | undefined): Stripe.Charge {
    let chargeId = params.charge;
    if (params.paymentIntent !== undefined) {
      const pi = this.store.paymentIntent(params.paymentIntent, account, 'payment_intent');
      if (pi.status !== 'succeeded' || typeof pi.latest_charge !== 'string') {
        throw new StripeRequestError(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { param: 'payment_intent' });
      }
      if (chargeId !== undefined && chargeId !== pi.latest_charge) throw new StripeRequestError(`Charge ${chargeId} does not belong to PaymentIntent ${pi.id}.`, { param: 'charge' });
      chargeId = pi.latest_charge;
    }
    if (chargeId === undefined) throw new StripeRequestError('One of the following params should be provided for this request: payment_intent or charge.', { param: 'charge' });
    const charge = this.charge(chargeId, account, 'charge');
    if (charge.status !== 'succeeded') throw new StripeRequestError(`Charge ${charge.id} did not succeed, so it cannot be refunded.`, { param: 'charge' });
    const dispute = this.disputes.forCharge(charge.id);
    if (dispute !== undefined && !dispute.is_charge_refundable && dispute.status !== 'won') {
      throw new StripeRequestError(`Charge ${charge.id} has been charged back; cannot issue a refund.`, { code: 'charge_disputed' });
    }
    return charge;
  }
}
