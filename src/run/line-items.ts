import type Stripe from 'stripe';
import { checkoutLineItems } from '../db/schema.js';
import { priceId, productId } from '../fulfillment/line-item.js';
import type { RunHandlerDb } from './handler-db.js';

/**
 * Records every line item of the order (table `checkout_line_items`), before any handler runs: the order
 * page, the receipts and reconciliation read it, so it is the run's own record, not a handler's (it was the
 * built-in handler `record-line-items`; the insert is the same, sent with the run's other writes).
 */
export function recordLineItems(db: RunHandlerDb, session: Stripe.Checkout.Session, lineItems: readonly Stripe.LineItem[], fulfilledAt: Date): Promise<void> {
  return db.insert(
    checkoutLineItems,
    lineItems.map((item, position) => ({
      sessionId: session.id,
      id: item.id,
      position,
      priceId: priceId(item),
      productId: productId(item),
      description: item.description ?? null,
      quantity: item.quantity ?? null,
      unitAmount: item.price?.unit_amount ?? null,
      amountSubtotal: item.amount_subtotal,
      amountDiscount: item.amount_discount,
      amountTax: item.amount_tax,
      amountTotal: item.amount_total,
      currency: item.currency,
      fulfilledAt,
    })),
  );
}
