import { html, type SafeHtml } from '../lib/html.js';
import { displayText } from '../domain/display-text.js';
import { moreItemsText } from '../domain/line-item-bound.js';
import { formatMoney } from '../domain/money.js';
import type { OrderLineItem, OrderNote, OrderSnapshot } from './effect.js';

/** A rendered receipt: the same facts twice, for mail clients that show HTML and for those that don't. */
export interface RenderedReceipt {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface ReceiptOptions {
  /** The shop's public origin; the receipt links to the order page when set. */
  readonly publicUrl?: string;
}

/**
 * The receipt for one fulfilled order: every line item (description, quantity, amount in the session
 * currency), the total, the session id as order reference, and the notes handlers added. Every customer
 * or Stripe string goes through the `html` template's escaping; the subject holds no customer text.
 */
export function renderReceipt(order: OrderSnapshot, opts: ReceiptOptions = {}): RenderedReceipt {
  const currency = order.currency ?? order.lineItems[0]?.currency ?? null;
  const total = order.amountTotal ?? order.lineItems.reduce((sum, i) => sum + i.amountTotal, 0);
  const money = (amount: number, c: string | null) => formatMoney(amount, c) || String(amount);
  const orderNotes = order.notes.filter((n) => n.lineItemId === null);
  const notesFor = (item: OrderLineItem): OrderNote[] => order.notes.filter((n) => n.lineItemId === item.id);
  const orderUrl =
    opts.publicUrl === undefined ? undefined : `${opts.publicUrl}/after-checkout?session_id=${encodeURIComponent(order.sessionId)}`;
  // A bounded order (effects/bounded-order.ts) lists its first items: say how many more, and where they are.
  const more = (order.lineItemCount ?? order.lineItems.length) - order.lineItems.length;
  const moreLine = more <= 0 ? undefined : `${moreItemsText(more)}${orderUrl === undefined ? '' : ' (see your order)'}`;

  const text = [
    order.customerName === null ? 'Thank you for your order.' : `Thank you for your order, ${oneLine(order.customerName)}.`,
    '',
    ...order.lineItems.flatMap((item) => [
      `${item.quantity ?? 1} × ${oneLine(item.description ?? 'Item')}: ${money(item.amountTotal, item.currency)}`,
      ...notesFor(item).map((n) => `    ${oneLine(n.text)}`),
    ]),
    ...(moreLine === undefined ? [] : [`… ${moreLine}`]),
    '',
    `Total: ${money(total, currency)}`,
    ...(orderNotes.length === 0 ? [] : ['', ...orderNotes.map((n) => oneLine(n.text))]),
    '',
    `Order reference: ${order.sessionId}`,
    ...(orderUrl === undefined ? [] : [`Your order: ${orderUrl}`]),
    '',
  ].join('\n');

  const rows: SafeHtml[] = order.lineItems.map(
    (item) => html`<tr>
<td style="padding:6px 4px;border-bottom:1px solid #e3e8ee;overflow-wrap:anywhere">${item.description ?? 'Item'}${notesFor(item).map(
      (n) => html`<br><span style="color:#5b6472;font-size:13px">${n.text}</span>`,
    )}</td>
<td style="padding:6px 4px;border-bottom:1px solid #e3e8ee;text-align:right">${item.quantity ?? 1}</td>
<td style="padding:6px 4px;border-bottom:1px solid #e3e8ee;text-align:right;white-space:nowrap">${money(item.amountTotal, item.currency)}</td>
</tr>`,
  );
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your receipt</title></head>
<body style="margin:0;background:#f6f7f9;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1f36">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;box-sizing:border-box">
<h1 style="font-size:20px;overflow-wrap:anywhere">${order.customerName === null ? 'Thank you for your order.' : html`Thank you for your order, ${order.customerName}.`}</h1>
<table style="width:100%;border-collapse:collapse;background:#fff" role="presentation">
<thead><tr><th style="text-align:left;padding:6px 4px">Item</th><th style="text-align:right;padding:6px 4px">Qty</th><th style="text-align:right;padding:6px 4px">Amount</th></tr></thead>
<tbody>${rows}${moreLine === undefined ? '' : html`<tr><td colspan="3" style="padding:6px 4px;color:#5b6472">… ${moreLine}</td></tr>`}</tbody>
<tfoot><tr><td colspan="2" style="padding:6px 4px;font-weight:600">Total</td><td style="padding:6px 4px;font-weight:600;text-align:right;white-space:nowrap">${money(total, currency)}</td></tr></tfoot>
</table>
${orderNotes.length === 0 ? '' : html`<ul style="padding-left:20px;overflow-wrap:anywhere">${orderNotes.map((n) => html`<li>${n.text}</li>`)}</ul>`}
<p style="color:#5b6472;font-size:13px">Order reference ${emailIdentifier(order.sessionId)}</p>
${orderUrl === undefined ? '' : html`<p><a href="${orderUrl}" style="color:#533afd">See your order</a></p>`}
</div>
</body></html>`;

  return { subject: `Your receipt for order ${order.sessionId}`, text, html: body.value };
}

/**
 * An order reference that may wrap on a phone only between groups of eight characters (`<wbr>`, which
 * adds nothing to copied text): a 66-character session id is wider than a 360 px screen. Mail clients drop
 * stylesheets, hence the inline style.
 */
export function emailIdentifier(value: string): SafeHtml {
  const groups = value.match(/.{1,8}/gsu) ?? [];
  return html`<code style="font-size:13px">${groups.map((g, i) => (i === 0 ? html`${g}` : html`<wbr>${g}`))}</code>`;
}

/**
 * Plain text stays plain text: a customer's line breaks cannot fake extra receipt lines, and no bidi or
 * control character (ESC, BEL) reaches the reader's terminal or mail client (domain/display-text.ts).
 */
function oneLine(s: string): string {
  return displayText(s);
}
