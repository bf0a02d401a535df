import { describe, expect, it } from 'vitest';
import { SHOWN_LINE_ITEMS, SHOWN_TEXT_BUDGET, firstShown, moreItemsText } from '../../../src/domain/line-item-bound.js';
import { boundedOrder } from '../../../src/effects/bounded-order.js';
import type { OrderSnapshot } from '../../../src/effects/effect.js';

function order(n: number, description = (i: number) => `Item ${i}`, notes: OrderSnapshot['notes'] = []): OrderSnapshot {
  return {
    sessionId: 'cs_test_1',
    livemode: false,
    customerEmail: null,
    customerName: null,
    currency: 'usd',
    amountSubtotal: n,
    amountTotal: n,
    fulfilledAt: '2026-12-08T00:00:00.000Z',
    lineItems: Array.from({ length: n }, (_, i) => ({ id: `li_${i}`, description: description(i), quantity: 1, amountTotal: 1, currency: 'usd', price: null, product: null })),
    notes,
  };
}

describe('boundedOrder', () => {
  it('an order within the bounds is the same object', () => {
    const small = order(3, undefined, [{ lineItemId: 'li_1', text: 'Access code: X' }]);
    expect(boundedOrder(small)).toBe(small);
  });

  it('10,000 items: the first 100, the notes about them and the order, and the counts of all', () => {
    const notes = [{ lineItemId: null, text: 'Thanks' }, ...Array.from({ length: 10_000 }, (_, i) => ({ lineItemId: `li_${i}`, text: `code ${i}` }))];
    const bounded = boundedOrder(order(10_000, undefined, notes));
    expect(bounded.lineItems).toHaveLength(SHOWN_LINE_ITEMS);
    expect(bounded.lineItems.at(-1)?.id).toBe('li_99');
    // The order's note first, then those of the first items, 100 in all.
    expect(bounded.notes).toHaveLength(SHOWN_LINE_ITEMS);
    expect(bounded.notes[0]?.text).toBe('Thanks');
    expect(bounded.lineItemCount).toBe(10_000);
    expect(bounded.noteCount).toBe(10_001);
  });

  it('10,000 notes about the order: 100 of them', () => {
    const notes = Array.from({ length: 10_000 }, (_, i) => ({ lineItemId: null, text: `line ${i}` }));
    const bounded = boundedOrder(order(2, undefined, notes));
    expect(bounded.notes).toHaveLength(SHOWN_LINE_ITEMS);
    expect(bounded.lineItems).toHaveLength(2);
    expect(bounded.noteCount).toBe(10_000);
  });

  it('long descriptions: no more text than the budget, the first item always', () => {
    const bounded = boundedOrder(order(100, () => 'x'.repeat(5000)));
    const chars = bounded.lineItems.reduce((n, i) => n + (i.description?.length ?? 0), 0);
    expect(chars).toBeLessThanOrEqual(SHOWN_TEXT_BUDGET);
    expect(bounded.lineItems).toHaveLength(SHOWN_TEXT_BUDGET / 5000);
    expect(boundedOrder(order(2, () => 'x'.repeat(SHOWN_TEXT_BUDGET + 1))).lineItems).toHaveLength(1);
  });
});

describe('firstShown and moreItemsText', () => {
  it('cuts a list and says how many are left out', () => {
    expect(firstShown([1, 2, 3], 2)).toEqual({ shown: [1, 2], more: 1 });
    expect(firstShown([1, 2], 2)).toEqual({ shown: [1, 2], more: 0 });
    expect(moreItemsText(9900)).toBe('and 9,900 more items');
    expect(moreItemsText(1)).toBe('and 1 more item');
  });
});
