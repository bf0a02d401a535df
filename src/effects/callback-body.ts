import type { CallbackEffectPayload, OrderSnapshot } from './effect.js';

/**
 * The JSON a merchant's endpoint receives for one fulfilled session (the public contract in the README).
 * Built from the snapshot alone, so every retry of one effect sends the very same bytes; `timestamp` is
 * when the order was fulfilled, while the `webhook-timestamp` header is when this attempt was signed.
 */
export function callbackBody(order: OrderSnapshot): string {
  return JSON.stringify({
    type: 'order.fulfilled',
    timestamp: order.fulfilledAt,
    data: {
      session_id: order.sessionId,
      livemode: order.livemode,
      customer_email: order.customerEmail,
      customer_name: order.customerName,
      currency: order.currency,
      amount_subtotal: order.amountSubtotal,
      amount_total: order.amountTotal,
      fulfilled_at: order.fulfilledAt,
      line_items: order.lineItems.map((item) => ({
        id: item.id,
        description: item.description,
        quantity: item.quantity,
        amount_total: item.amountTotal,
        currency: item.currency,
        price: item.price,
        product: item.product,
      })),
      notes: order.notes.map((n) => ({ line_item_id: n.lineItemId, text: n.text })),
      // The whole order's counts: `line_items` and `notes` hold at most the first ones (effects/bounded-order.ts).
      line_item_count: order.lineItemCount ?? order.lineItems.length,
      note_count: order.noteCount ?? order.notes.length,
    },
  });
}

/** The body of one callback effect: the order's `order.fulfilled`, or an after-sale notice as it was stored. */
export function callbackPayloadBody(payload: CallbackEffectPayload): string {
  return 'notice' in payload ? JSON.stringify(payload.notice) : callbackBody(payload.order);
}
