import { describe, expect, it } from 'vitest';
import { afterSaleWords } from '../../../src/domain/after-sale-words.js';

describe('afterSaleWords: what happened after the sale, in the customer\'s words', () => {
  const on3Dec = new Date('2026-12-03T10:00:00Z');
  it('a refund and the access it ended', () => {
    expect(
      afterSaleWords({ amountRefunded: 1200, currency: 'usd', refundedAt: on3Dec, items: [{ description: 'Course A', access: 'revoked' }, { description: 'Course B', access: 'active' }] }),
    ).toBe('Refunded $12.00 on 3 December; access to Course A has ended.');
  });
  it('a partial refund that ended nothing, a suspension, access given back, and nothing at all', () => {
    expect(afterSaleWords({ amountRefunded: 500, currency: 'eur', refundedAt: null, items: [{ description: 'A', access: 'active' }] })).toBe('Refunded €5.00.');
    expect(afterSaleWords({ amountRefunded: 0, currency: 'usd', refundedAt: null, items: [{ description: 'A', access: 'suspended' }, { description: 'B', access: 'suspended' }] })).toBe(
      'Access to A and B is paused while a payment dispute is reviewed.',
    );
    expect(afterSaleWords({ amountRefunded: 0, currency: 'usd', refundedAt: null, items: [{ description: 'A', access: 'active', previous: 'revoked' }] })).toBe('Access to A is back.');
    expect(afterSaleWords({ amountRefunded: 0, currency: 'usd', refundedAt: null, items: [{ description: 'A', access: 'active' }] })).toBeUndefined();
  });
});
