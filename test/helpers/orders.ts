import type { EffectRecord, OrderSnapshot } from '../../src/effects/effect.js';

/** A fulfilled order as the outbox hands it to deliverers: three line items, yen, and two handler notes. */
export function orderSnapshot(over: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    sessionId: 'cs_test_a1receipt0000000000000000000000000000000000000000001',
    livemode: false,
    customerEmail: 'ada@example.com',
    customerName: 'Ada Lovelace',
    currency: 'jpy',
    amountSubtotal: 4700,
    amountTotal: 4700,
    fulfilledAt: '2026-11-27T03:00:00.000Z',
    lineItems: [
      { id: 'li_1', description: 'Field guide (PDF)', quantity: 1, amountTotal: 1200, currency: 'jpy', price: 'price_guide', product: 'prod_guide' },
      { id: 'li_2', description: 'Sticker pack', quantity: 3, amountTotal: 1500, currency: 'jpy', price: 'price_sticker', product: 'prod_sticker' },
      { id: 'li_3', description: 'Tote bag', quantity: 2, amountTotal: 2000, currency: 'jpy', price: 'price_tote', product: 'prod_tote' },
    ],
    notes: [
      { lineItemId: 'li_1', text: 'Access code: GUIDE-7Q2F' },
      { lineItemId: null, text: 'Ships to Ada Lovelace, 1 rue de Rivoli, 75001 Paris, FR' },
    ],
    ...over,
  };
}

export function effectRecord<P>(kind: string, target: string, payload: P, over: Partial<EffectRecord<P>> = {}): EffectRecord<P> {
  return {
    id: '1',
    kind,
    sessionId: 'cs_test_a1receipt0000000000000000000000000000000000000000001',
    target,
    payload,
    idempotencyKey: `eff_${kind}_0001`,
    attempts: 0,
    createdAt: new Date(),
    ...over,
  };
}
