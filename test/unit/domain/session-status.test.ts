import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES, SESSION_STATUSES, nextStatus, targetStatus } from '../../../src/domain/session-status.js';

describe('targetStatus', () => {
  it.each([
    ['complete', 'paid', 'checkout.session.completed', 'fulfilled'],
    ['complete', 'no_payment_required', 'checkout.session.completed', 'fulfilled'],
    ['complete', 'unpaid', 'checkout.session.completed', 'awaiting_payment'],
    ['complete', 'paid', 'checkout.session.async_payment_failed', 'fulfilled'],
    ['complete', 'unpaid', 'checkout.session.async_payment_failed', 'payment_failed'],
    ['expired', 'unpaid', 'checkout.session.expired', 'expired'],
    ['open', 'unpaid', 'landing', 'pending'],
    ['complete', 'some_future_value', 'checkout.session.completed', 'awaiting_payment'],
  ] as const)('%s/%s on %s → %s', (status, payment_status, trigger, expected) => {
    expect(targetStatus({ status, payment_status }, trigger)).toBe(expected);
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
