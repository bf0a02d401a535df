import { checkoutLineItems } from '../../db/schema.js';
import { defineHandler, priceId, productId } from '../index.js';

/** Records every line item of the order (table `checkout_line_items`): the order page and receipts read it. */
export const recordLineItems = defineHandler({
  name: 'record-line-items',
  takes: 'order',
  async fulfill({ db, session, lineItems, fulfilledAt }) {
    await db.insert(
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
  },
});
