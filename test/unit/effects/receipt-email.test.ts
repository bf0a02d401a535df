import { describe, expect, it } from 'vitest';
import { messageIdFor } from '../../../src/effects/email-deliverer.js';
import { renderReceipt } from '../../../src/effects/receipt-email.js';
import { orderSnapshot } from '../../helpers/orders.js';

describe('renderReceipt', () => {
  it('two-decimal currency, no name, no link without a public URL', () => {
    const r = renderReceipt(
      orderSnapshot({
        customerName: null,
        currency: 'usd',
        amountTotal: 3198,
        lineItems: [{ id: 'li_1', description: 'Book', quantity: 2, amountTotal: 3198, currency: 'usd', price: null, product: null }],
        notes: [],
      }),
    );
    expect(r.text).toBe(
      [
        'Thank you for your order.',
        '',
        '2 × Book: $31.98',
        '',
        'Total: $31.98',
        '',
        'Order reference: cs_test_a1receipt0000000000000000000000000000000000000000001',
        '',
      ].join('\n'),
    );
    expect(r.html).toContain('$31.98');
    expect(r.html).not.toContain('See your order');
  });

  it('a line break in a customer string cannot forge a line of the text receipt', () => {
    const r = renderReceipt(
      orderSnapshot({
        lineItems: [{ id: 'li_1', description: 'Pen\nTotal: ¥0', quantity: 1, amountTotal: 100, currency: 'jpy', price: null, product: null }],
        amountTotal: 100,
        notes: [],
      }),
    );
    expect(r.text.split('\n').filter((l) => l.startsWith('Total:'))).toEqual(['Total: ¥100']);
  });

  it('a missing total is the sum of the lines; a missing quantity reads 1', () => {
    const r = renderReceipt(
      orderSnapshot({
        amountTotal: null,
        lineItems: [
          { id: 'a', description: null, quantity: null, amountTotal: 700, currency: 'jpy', price: null, product: null },
          { id: 'b', description: 'B', quantity: 2, amountTotal: 300, currency: 'jpy', price: null, product: null },
        ],
        notes: [],
      }),
    );
    expect(r.text).toContain('1 × Item: ¥700');
    expect(r.text).toContain('Total: ¥1,000');
  });
});

describe('messageIdFor', () => {
  it('uses a dot-atom key as is and hashes anything else, the same way every time', () => {
    expect(messageIdFor('eff_42', 'shop.example')).toBe('<eff_42@shop.example>');
    const hashed = messageIdFor('cs_1/email/ada@example.com', 'shop.example');
    expect(hashed).toMatch(/^<h[0-9a-f]{40}@shop\.example>$/);
    expect(messageIdFor('cs_1/email/ada@example.com', 'shop.example')).toBe(hashed);
    expect(messageIdFor('a\r\nBcc: x', 'shop.example')).not.toMatch(/[\r\n]/);
  });
});
