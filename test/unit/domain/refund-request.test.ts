import { describe, expect, it } from 'vitest';
import { planRefund, RefundArgsError, type RefundableOrder } from '../../../src/domain/refund-request.js';

const order: RefundableOrder = {
  sessionId: 'cs_test_a',
  paymentIntent: 'pi_a',
  amountTotal: 3000,
  amountRefunded: 500,
  lineItems: [
    { id: 'li_1', amountTotal: 1000, access: 'active', cause: null },
    { id: 'li_2', amountTotal: 1500, access: 'active', cause: null },
    { id: 'li_3', amountTotal: 500, access: 'revoked', cause: 're_x' },
  ],
};

describe('planRefund', () => {
  it('fills in the amount: the named items\' total, or what is left', () => {
    expect(planRefund(order, { items: 'li_2,li_1' })).toMatchObject({ amount: 2500, lineItems: ['li_1', 'li_2'], paymentIntent: 'pi_a' });
    expect(planRefund(order, {})).toMatchObject({ amount: 2500, lineItems: [] });
    expect(planRefund(order, { amount: '250', items: 'li_1' })).toMatchObject({ amount: 250, lineItems: ['li_1'] });
  });

  it('gives the same request the same idempotency key (items in any order), another request another key', () => {
    const key = planRefund(order, { items: 'li_1,li_2', reason: 'duplicate' }).idempotencyKey;
    expect(planRefund(order, { items: 'li_2, li_1', reason: 'duplicate' }).idempotencyKey).toBe(key);
    expect(planRefund(order, { items: 'li_1,li_2' }).idempotencyKey).not.toBe(key);
    expect(planRefund(order, { items: 'li_1,li_2', amount: '100', reason: 'duplicate' }).idempotencyKey).not.toBe(key);
    expect(planRefund({ ...order, sessionId: 'cs_test_b' }, { items: 'li_1,li_2', reason: 'duplicate' }).idempotencyKey).not.toBe(key);
  });

  it.each([
    [{ amount: '-1' }, /positive whole number/],
    [{ amount: '1e3' }, /positive whole number/],
    [{ amount: '2501' }, /more than what is left to refund \(2500 of 3000\)/],
    [{ items: 'li_3' }, /li_3 is revoked already \(by re_x\)/],
    [{ items: 'li_9' }, /li_9 is not a line item of cs_test_a/],
    [{ items: '' }, /line item ids separated by commas/],
    [{ reason: 'other' }, /--reason must be one of/],
  ])('%j is refused: %s', (args, message) => {
    expect(() => planRefund(order, args)).toThrow(RefundArgsError);
    expect(() => planRefund(order, args)).toThrow(message);
  });

  it('refuses an order with no payment, or refunded in full', () => {
    expect(() => planRefund({ ...order, paymentIntent: null }, {})).toThrow(/no payment recorded/);
    expect(() => planRefund({ ...order, amountRefunded: 3000 }, { amount: '1' })).toThrow(/refunded in full already/);
  });
});
