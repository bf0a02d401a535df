import { randomBytes } from 'node:crypto';
import { defineHandler, productId } from '../index.js';

/**
 * Software licences: one key per unit of each line item whose product has metadata `fulfillment=license`.
 * The customer sees the keys on the order page and in the receipt; the licence server hears about them
 * through an outbox effect, delivered after commit with retries, never from inside the transaction.
 */
export const licenseKeys = defineHandler({
  name: 'license-keys',
  takes: { fulfillment: 'license' },
  async fulfill({ session, lineItems, note, effect }) {
    for (const item of lineItems) {
      const keys = Array.from({ length: item.quantity ?? 1 }, () => randomBytes(10).toString('hex').toUpperCase());
      note(`Licence key${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, item.id);
      effect('license-server', { sessionId: session.id, product: productId(item), keys }, { target: 'activate', lineItemId: item.id });
    }
  },
});
