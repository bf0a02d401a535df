import type Stripe from 'stripe';
import type { OrderNote, OrderSnapshot } from '../effects/effect.js';
import { customerEmail, priceId, productId } from './line-item.js';

/** The order as receipts and callbacks show it, made from what Stripe returned and the handlers' notes. */
export function orderSnapshot(
  session: Stripe.Checkout.Session,
  lineItems: readonly Stripe.LineItem[],
  notes: readonly OrderNote[],
  fulfilledAt: Date,
): OrderSnapshot {
  return {
    sessionId: session.id,
    livemode: session.livemode,
    customerEmail: customerEmail(session),
    customerName: session.customer_details?.name ?? null,
    currency: session.currency,
    amountSubtotal: session.amount_subtotal,
    amountTotal: session.amount_total,
    fulfilledAt: fulfilledAt.toISOString(),
    lineItems: lineItems.map((item) => ({
      id: item.id,
      description: item.description ?? null,
      quantity: item.quantity ?? null,
      amountTotal: item.amount_total,
      currency: item.currency,
      price: priceId(item),
      product: productId(item),
    })),
    notes: [...notes],
  };
}
