import { html } from '../lib/html.js';
import { displayText } from '../domain/display-text.js';
import { formatMoney } from '../domain/money.js';
import type { OrderSnapshot } from './effect.js';
import { emailIdentifier, type ReceiptOptions, type RenderedReceipt } from './receipt-email.js';

/**
 * The notice for a delayed payment (a bank debit) that failed: nothing was taken and nothing will be sent,
 * and how to try again. The processing page promised an email either way; this is the other half of it.
 * The same escaping and the same 360 px-safe layout as the receipt; the subject holds no customer text.
 */
export function renderPaymentFailed(order: OrderSnapshot, opts: ReceiptOptions = {}): RenderedReceipt {
  const amount = formatMoney(order.amountTotal, order.currency);
  const orderUrl = opts.publicUrl === undefined ? undefined : `${opts.publicUrl}/after-checkout?session_id=${encodeURIComponent(order.sessionId)}`;
  const greeting = order.customerName === null ? 'Your payment did not go through.' : `${oneLine(order.customerName)}, your payment did not go through.`;
  const what = `Your bank declined the payment${amount === '' ? '' : ` of ${amount}`} for your order, so no money was taken and nothing will be sent.`;
  const again = 'You can place the order again with another payment method.';

  const text = [greeting, '', what, again, '', `Order reference: ${order.sessionId}`, ...(orderUrl === undefined ? [] : [`Your order: ${orderUrl}`]), ''].join('\n');

  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your payment did not go through</title></head>
<body style="margin:0;background:#f6f7f9;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1f36">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;box-sizing:border-box">
<h1 style="font-size:20px;overflow-wrap:anywhere">${greeting}</h1>
<p>${what}</p>
<p>${again}</p>
<p style="color:#5b6472;font-size:13px">Order reference ${emailIdentifier(order.sessionId)}</p>
${orderUrl === undefined ? '' : html`<p><a href="${orderUrl}" style="color:#533afd">See your order</a></p>`}
</div>
</body></html>`;

  return { subject: `Your payment for order ${order.sessionId} did not go through`, text, html: body.value };
}

/** One line, without bidi or control characters (domain/display-text.ts), as in the receipt. */
function oneLine(s: string): string {
  return displayText(s);
}
