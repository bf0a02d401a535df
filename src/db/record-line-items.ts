import type Stripe from 'stripe';
import { productId } from '../domain/fulfillment-kind.js';
import type { LineItemFulfiller } from '../domain/line-item-fulfiller.js';
import type { Tx } from './fulfillment-store.js';

/** Postgres caps bind parameters at 65,535 per statement; 13 a row → stay well below. */
const ROWS_PER_INSERT = 1000;

/** The default fulfiller: records every line item of the order (table `checkout_line_items`). */
export const recordLineItems: LineItemFulfiller<Tx> = {
  name: 'record-line-items',
  async fulfill({ tx, session, lineItems, fulfilledAt }) {
    const rows = lineItems.map((item, position) => toRow(session.id, item, position, fulfilledAt));
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await tx`insert into checkout_line_items ${tx(rows.slice(i, i + ROWS_PER_INSERT))}`;
    }
  },
};

function toRow(sessionId: string, item: Stripe.LineItem, position: number, fulfilledAt: Date) {
  return {
    session_id: sessionId,
    id: item.id,
    position,
    price_id: item.price?.id ?? null,
    product_id: productId(item),
    description: item.description ?? null,
    quantity: item.quantity ?? null,
    unit_amount: item.price?.unit_amount ?? null,
    amount_subtotal: item.amount_subtotal,
    amount_discount: item.amount_discount,
    amount_tax: item.amount_tax,
    amount_total: item.amount_total,
    currency: item.currency,
    fulfilled_at: fulfilledAt.toISOString(),
  };
}
