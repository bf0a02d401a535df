import type Stripe from 'stripe';
import { randomId } from './ids.js';

/**
 * Stripe's after-sale objects as the API returns them: the Charge of a paid PaymentIntent
 * (https://docs.stripe.com/api/charges/object), a Refund (https://docs.stripe.com/api/refunds/object) and a
 * Dispute (https://docs.stripe.com/api/disputes/object). Built as JSON (the wire shape); fields the service
 * never reads keep Stripe's names with empty values.
 */

const now = (): number => Math.floor(Date.now() / 1000);

/** The Charge behind `pi.latest_charge`: `succeeded` for a paid PaymentIntent, `failed` for a failed debit. */
export function buildCharge(pi: Stripe.PaymentIntent, session: Stripe.Checkout.Session): Stripe.Charge {
  const paid = pi.status === 'succeeded';
  const card = (pi.payment_method_types[0] ?? 'card') === 'card';
  return {
    id: pi.latest_charge as string,
    object: 'charge',
    amount: pi.amount,
    amount_captured: paid ? pi.amount : 0,
    amount_refunded: 0,
    balance_transaction: paid ? randomId('txn_', 24) : null,
    billing_details: { address: null, email: session.customer_details?.email ?? null, name: session.customer_details?.name ?? null, phone: null },
    captured: paid,
    created: now(),
    currency: pi.currency,
    customer: null,
    description: null,
    disputed: false,
    failure_code: paid ? null : 'payment_intent_payment_attempt_failed',
    failure_message: paid ? null : 'The payment failed.',
    livemode: pi.livemode,
    metadata: {},
    outcome: { network_status: paid ? 'approved_by_network' : 'declined_by_network', reason: null, risk_level: 'normal', seller_message: paid ? 'Payment complete.' : 'The payment failed.', type: paid ? 'authorized' : 'issuer_declined' },
    paid,
    payment_intent: pi.id,
    payment_method: pi.payment_method,
    payment_method_details: card
      ? { type: 'card', card: { brand: 'visa', country: 'US', exp_month: 12, exp_year: 2034, funding: 'credit', last4: '4242', network: 'visa' } }
      : { type: pi.payment_method_types[0] ?? 'us_bank_account' },
    receipt_email: null,
    receipt_url: null,
    refunded: false,
    status: paid ? 'succeeded' : 'failed',
  } as unknown as Stripe.Charge;
}

export interface RefundSpec {
  readonly charge: Stripe.Charge;
  readonly amount: number;
  readonly reason: Stripe.Refund.Reason | null;
  readonly metadata: Record<string, string>;
  readonly status: 'succeeded' | 'pending';
}

export function buildRefund(spec: RefundSpec): Stripe.Refund {
  return {
    id: randomId('re_', 24),
    object: 'refund',
    amount: spec.amount,
    balance_transaction: randomId('txn_', 24),
    charge: spec.charge.id,
    created: now(),
    currency: spec.charge.currency,
    destination_details: spec.charge.payment_method_details?.type === 'card' ? { type: 'card', card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } } : null,
    metadata: { ...spec.metadata },
    payment_intent: spec.charge.payment_intent,
    reason: spec.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: spec.status,
    transfer_reversal: null,
  } as unknown as Stripe.Refund;
}

const EMPTY_EVIDENCE_FIELDS = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal',
  'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature',
  'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt',
  'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation',
  'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number',
  'uncategorized_file', 'uncategorized_text',
] as const;

export interface DisputeSpec {
  readonly charge: Stripe.Charge;
  readonly amount: number;
  readonly reason: string;
  readonly status: 'needs_response' | 'warning_needs_response';
}

/** A new Dispute; an inquiry (`warning_*`) withdraws no funds, a chargeback withdraws the amount at once. */
export function buildDispute(spec: DisputeSpec): Stripe.Dispute {
  const inquiry = spec.status.startsWith('warning_');
  return {
    id: randomId('du_', 24),
    object: 'dispute',
    amount: spec.amount,
    balance_transactions: inquiry ? [] : [balanceTransaction(-spec.amount, spec.charge.currency, 'Chargeback withdrawal for ' + spec.charge.id)],
    charge: spec.charge.id,
    created: now(),
    currency: spec.charge.currency,
    evidence: Object.fromEntries(EMPTY_EVIDENCE_FIELDS.map((f) => [f, null])),
    evidence_details: { due_by: now() + 7 * 24 * 3600, has_evidence: false, past_due: false, submission_count: 0 },
    // An inquiry can still be refunded; once the funds are withdrawn the chargeback is the refund.
    is_charge_refundable: inquiry,
    livemode: spec.charge.livemode,
    metadata: {},
    payment_intent: spec.charge.payment_intent,
    payment_method_details: { type: 'card', card: { brand: 'visa', network_reason_code: '10.4' } },
    reason: spec.reason,
    status: spec.status,
  } as unknown as Stripe.Dispute;
}

/** The balance transaction a dispute's funds move with (a withdrawal is negative, a reinstatement positive). */
export function balanceTransaction(amount: number, currency: string, description: string): Stripe.BalanceTransaction {
  return {
    id: randomId('txn_', 24),
    object: 'balance_transaction',
    amount,
    available_on: now(),
    created: now(),
    currency,
    description,
    fee: 0,
    fee_details: [],
    net: amount,
    reporting_category: 'dispute',
    source: null,
    status: 'available',
    type: 'adjustment',
  } as unknown as Stripe.BalanceTransaction;
}
