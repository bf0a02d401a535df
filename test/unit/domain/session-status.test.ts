import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES, SESSION_STATUSES, nextStatus, targetStatus } from '../../../src/domain/session-status.js';

describe('targetStatus', () => {
  const pi = (status: string) => ({ id: 'pi_1', status });
  it.each([
    ['complete', 'paid', undefined, 'fulfilled'],
    ['complete', 'no_payment_required', null, 'fulfilled'],
    ['complete', 'unpaid', undefined, 'awaiting_payment'],
    ['complete', 'unpaid', 'pi_1', 'awaiting_payment'],
    ['complete', 'unpaid', pi('processing'), 'awaiting_payment'],
    ['complete', 'unpaid', pi('requires_payment_method'), 'payment_failed'],
    ['complete', 'unpaid', pi('canceled'), 'payment_failed'],
    ['complete', 'unpaid', pi('succeeded'), 'awaiting_payment'],
    ['complete', 'paid', pi('requires_payment_method'), 'fulfilled'],
    ['expired', 'unpaid', null, 'expired'],
    ['open', 'unpaid', pi('requires_payment_method'), 'pending'],
    ['complete', 'some_future_value', pi('requires_payment_method'), 'awaiting_payment'],
  ] as const)('%s/%s with PaymentIntent %j → %s', (status, payment_status, payment_intent, expected) => {
    expect(targetStatus({ status, payment_status, ...(payment_intent === undefined ? {} : { payment_intent }) })).toBe(expected);
  });
});

describe('nextStatus only moves forward', () => {
  it.each(SESSION_STATUSES)('nothing overwrites a final state (%s)', (target) => {
    for (const final of FINAL_STATUSES) expect(nextStatus(final, target)).toBe(final);
  });
  it('moves pending and awaiting_payment forward, never back', () => {
    expect(nextStatus('pending', 'awaiting_payment')).toBe('awaiting_payment');
    expect(nextStatus('awaiting_payment', 'fulfilled')).toBe('fulfilled');
    expect(nextStatus('awaiting_payment', 'pending')).toBe('awaiting_payment');
  });
});
