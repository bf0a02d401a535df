import { describe, expect, it } from 'vitest';
import { reconcileDecision } from '../../../src/domain/reconcile-decision.js';

const pi = (status: string) => ({ status });

describe('reconcileDecision: a listed session, from its page alone', () => {
  it.each([
    ['paid card', { status: 'complete', payment_status: 'paid', payment_intent: pi('succeeded') }, { record: 'fulfilled' }],
    ['free order (no PaymentIntent)', { status: 'complete', payment_status: 'no_payment_required', payment_intent: null }, { record: 'fulfilled' }],
    ['expired', { status: 'expired', payment_status: 'unpaid', payment_intent: null }, { record: 'expired' }],
    ['delayed debit pending', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('processing') }, { record: 'awaiting_payment' }],
    ['bank transfer awaiting the customer', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('requires_action') }, { record: 'awaiting_payment' }],
    ['delayed debit failed', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('requires_payment_method') }, { record: 'payment_failed' }],
    ['PaymentIntent canceled', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('canceled') }, { record: 'payment_failed' }],
    ['PaymentIntent not expanded', { status: 'complete', payment_status: 'unpaid', payment_intent: 'pi_123' }, { record: 'awaiting_payment' }],
    ['unpaid without a PaymentIntent', { status: 'complete', payment_status: 'unpaid', payment_intent: null }, { record: 'awaiting_payment' }],
    ['a status Stripe may add', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('some_future_status') }, { record: 'awaiting_payment' }],
    ['debit succeeded after the page was read', { status: 'complete', payment_status: 'unpaid', payment_intent: pi('succeeded') }, { run: 'payment_succeeded_after_page' }],
    ['failed PaymentIntent on a paid session (paid wins)', { status: 'complete', payment_status: 'paid', payment_intent: pi('requires_payment_method') }, { record: 'fulfilled' }],
    ['unknown payment_status is never failed', { status: 'complete', payment_status: 'some_future_value', payment_intent: pi('requires_payment_method') }, { record: 'awaiting_payment' }],
  ] as const)('%s', (_name, session, expected) => {
    expect(reconcileDecision(session)).toEqual(expected);
  });
});
