import type Stripe from 'stripe';
import type { LineItemFulfiller } from '../domain/line-item-fulfiller.js';
import type { Tx } from './fulfillment-store.js';
import { checkoutLineItems, type NewCheckoutLineItem } from './schema.js';

/** Postgres caps bind parameters at 65,535 per statement; 14 columns a row → stay well below. */
const ROWS_PER_INSERT = 1000;

/** The default fulfiller: records every line item of the order. */
export const recordLineItems: LineItemFulfiller<Tx> = {
  name: 'record-line-items',
  async fulfill({ tx, session, lineItems, fulfilledAt }) {
    const rows = lineItems.map((item, position) => toRow(session.id, item, position, fulfilledAt));
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await tx.insert(checkoutLineItems).values(rows.slice(i, i + ROWS_PER_INSERT));
    }
  },
};

function toRow(sessionId: string, item: Stripe.LineItem, position: number, fulfilledAt: Date): NewCheckoutLineItem {
  const product = item.price?.product;
  return {
    sessionId,
    id: item.id,
    position,
    priceId: item.price?.id ?? null,
    productId: typeof product === 'string' ? product : (product?.id ?? null),
    description: item.description ?? null,
    quantity: item.quantity ?? null,
    unitAmount: item.price?.unit_amount ?? null,
    amountSubtotal: item.amount_subtotal,
    amountDiscount: item.amount_discount,
    amountTax: item.amount_tax,
    amountTotal: item.amount_total,
    currency: item.currency,
    fulfilledAt,
  };
}
