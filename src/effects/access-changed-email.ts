import { afterSaleWords } from '../domain/after-sale-words.js';
import { html } from '../lib/html.js';
import type { AccessChangeNotice, OrderSnapshot } from './effect.js';
import { emailIdentifier, type ReceiptOptions, type RenderedReceipt } from './receipt-email.js';

/**
 * The notice that an order's access was taken back (a refund, a dispute) or given back (a refund that failed,
 * a dispute won), in the customer's words. The same escaping and 360 px-safe layout as the receipt; the
 * subject holds no customer text.
 */
export function renderAccessChanged(order: OrderSnapshot, change: AccessChangeNotice, opts: ReceiptOptions = {}): RenderedReceipt {
  const byId = new Map(order.lineItems.map((li) => [li.id, li.description ?? 'your item']));
  const words =
    afterSaleWords({
      amountRefunded: change.amountRefunded,
      currency: order.currency,
      refundedAt: new Date(change.at),
      items: change.items.map((i) => ({ description: byId.get(i.id) ?? 'your item', access: i.access, previous: i.previous })),
    }) ?? 'Your order has changed.';
  const orderUrl = opts.publicUrl === undefined ? undefined : `${opts.publicUrl}/after-checkout?session_id=${encodeURIComponent(order.sessionId)}`;
  const back = change.items.length > 0 && change.items.every((i) => i.access === 'active');
  const title = back ? 'Your access is back' : 'Your order has changed';
  const text = [title, '', words, '', `Order reference: ${order.sessionId}`, ...(orderUrl === undefined ? [] : [`Your order: ${orderUrl}`]), ''].join('\n');
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="margin:0;background:#f6f7f9;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1f36">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;box-sizing:border-box">
<h1 style="font-size:20px;overflow-wrap:anywhere">${title}</h1>
<p style="overflow-wrap:anywhere">${words}</p>
<p style="color:#5b6472;font-size:13px">Order reference ${emailIdentifier(order.sessionId)}</p>
${orderUrl === undefined ? '' : html`<p><a href="${orderUrl}" style="color:#533afd">See your order</a></p>`}
</div>
</body></html>`;
  return { subject: `${title}: order ${order.sessionId}`, text, html: body.value };
}
