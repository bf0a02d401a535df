import type Stripe from 'stripe';
import { balanceTransaction, buildDispute } from './after-sale-objects.js';
import { buildEvent } from './events.js';
import { inCreatedRange } from './list-params.js';
import { InvalidState, NotFound, type CreatedRange, type EmulatorStore } from './store.js';

export interface AfterSaleFilter {
  readonly account: string | undefined;
  readonly paymentIntent?: string | undefined;
  readonly charge?: string | undefined;
  readonly created?: CreatedRange | undefined;
}

export type OpenStatus = 'needs_response' | 'warning_needs_response';
export type MoveStatus = 'under_review' | 'warning_under_review' | 'needs_response';
export type CloseStatus = 'won' | 'lost' | 'warning_closed';

interface Stored {
  dispute: Stripe.Dispute;
  account: string | undefined;
}

/** Where a dispute may go from each status (https://docs.stripe.com/disputes/how-disputes-work). */
const MOVES: Record<string, readonly string[]> = {
  warning_needs_response: ['warning_under_review', 'needs_response', 'warning_closed'],
  warning_under_review: ['needs_response', 'warning_closed'],
  needs_response: ['under_review', 'won', 'lost'],
  under_review: ['won', 'lost'],
};

/**
 * Disputes, opened and moved as a card network would (from the control routes), with the events Stripe sends:
 * `charge.dispute.created`, then `funds_withdrawn` for a chargeback (an inquiry, `warning_*`, withdraws nothing
 * until it is escalated); `updated`; `closed`, then `funds_reinstated` when won.
 */
export class DisputeBook {
  private readonly disputes = new Map<string, Stored>();

  constructor(private readonly store: EmulatorStore) {}

  /** Opens a dispute on a paid charge (given by its id or its PaymentIntent's); one per charge, as on Stripe. */
  open(target: string, opts: { status?: OpenStatus; amount?: number; reason?: string } = {}): { dispute: Stripe.Dispute; events: Stripe.Event[] } {
    const pi = target.startsWith('pi_') ? this.store.peekPaymentIntent(target) : undefined;
    const chargeId = pi === undefined ? target : pi.paymentIntent.latest_charge;
    const stored = typeof chargeId === 'string' ? this.store.peekCharge(chargeId) : undefined;
    if (stored === undefined) throw new NotFound(`No such charge: '${target}'`, 'charge');
    if (stored.charge.status !== 'succeeded') throw new InvalidState(`charge ${stored.charge.id} was not paid`);
    if (this.forCharge(stored.charge.id) !== undefined) throw new InvalidState(`charge ${stored.charge.id} already has a dispute`);
    const amount = opts.amount ?? stored.charge.amount;
    if (!Number.isInteger(amount) || amount < 1 || amount > stored.charge.amount) throw new InvalidState(`amount must be 1..${stored.charge.amount}`);
    const dispute = buildDispute({ charge: stored.charge, amount, reason: opts.reason ?? 'fraudulent', status: opts.status ?? 'needs_response' });
    this.disputes.set(dispute.id, { dispute, account: stored.account });
    const events = [this.event('charge.dispute.created', dispute, stored.account)];
    if (!dispute.status.startsWith('warning_')) events.push(this.event('charge.dispute.funds_withdrawn', dispute, stored.account));
    return { dispute, events };
  }

  /** Moves an open dispute on (evidence submitted: `under_review`; an inquiry escalated: `needs_response`) or closes it. */
  move(id: string, to: MoveStatus | CloseStatus): { dispute: Stripe.Dispute; events: Stripe.Event[] } {
    const s = this.disputes.get(id);
    if (s === undefined) throw new NotFound(`No such dispute: '${id}'`);
    const from = s.dispute.status;
    if (!(MOVES[from] ?? []).includes(to)) throw new InvalidState(`dispute ${id} is ${from}; it cannot become ${to}`);
    const d = { ...s.dispute, status: to } as Stripe.Dispute;
    const extra: Stripe.Event.Type[] = [];
    if (to === 'under_review' || to === 'warning_under_review') {
      d.evidence_details = { ...d.evidence_details, has_evidence: true, submission_count: d.evidence_details.submission_count + 1 };
    }
    if (to === 'needs_response') {
      d.balance_transactions = [balanceTransaction(-d.amount, d.currency, `Chargeback withdrawal for ${String(d.charge)}`)];
      d.is_charge_refundable = false;
      extra.push('charge.dispute.funds_withdrawn');
    }
    if (to === 'won') {
      d.balance_transactions = [...d.balance_transactions, balanceTransaction(d.amount, d.currency, `Chargeback reversal for ${String(d.charge)}`)];
      extra.push('charge.dispute.funds_reinstated');
    }
    s.dispute = d;
    const closed = to === 'won' || to === 'lost' || to === 'warning_closed';
    const main = this.event(closed ? 'charge.dispute.closed' : 'charge.dispute.updated', d, s.account, { status: from });
    return { dispute: d, events: [main, ...extra.map((type) => this.event(type, d, s.account))] };
  }

  get(id: string, account: string | undefined): Stripe.Dispute {
    const s = this.disputes.get(id);
    if (s === undefined || s.account !== account) throw new NotFound(`No such dispute: '${id}'`);
    return s.dispute;
  }

  /** The owner of a dispute, whoever asks (control routes). */
  peek(id: string): Stripe.Dispute | undefined {
    return this.disputes.get(id)?.dispute;
  }

  forCharge(chargeId: string): Stripe.Dispute | undefined {
    for (const s of this.disputes.values()) if (s.dispute.charge === chargeId) return s.dispute;
    return undefined;
  }

  /** Newest first, as `GET /v1/disputes` lists them. */
  list(f: AfterSaleFilter): Stripe.Dispute[] {
    return [...this.disputes.values()]
      .filter((s) => s.account === f.account && matches(s.dispute, f))
      .map((s) => s.dispute)
      .reverse();
  }

  private event(type: Stripe.Event.Type, d: Stripe.Dispute, account: string | undefined, previous?: Record<string, unknown>): Stripe.Event {
    return buildEvent(type, d, { livemode: d.livemode, account, ...(previous === undefined ? {} : { previous }) });
  }
}

export function matches(o: { charge: string | { id: string } | null; payment_intent: string | { id: string } | null; created: number }, f: AfterSaleFilter): boolean {
  if (f.charge !== undefined && o.charge !== f.charge) return false;
  if (f.paymentIntent !== undefined && o.payment_intent !== f.paymentIntent) return false;
  return inCreatedRange(o.created, f.created);
}
