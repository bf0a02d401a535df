import type { OrderDetails } from '../../db/order-details.js';
import type { SessionView } from '../../db/session-view.js';
import { html, identifier, layout, type LayoutOptions, type SafeHtml } from '../../lib/html.js';
import { noteSections } from './order-notes.js';
import { firstShown, moreItemsText } from '../../domain/line-item-bound.js';
import { formatMoney } from '../../domain/money.js';
import { afterSaleWords } from '../../domain/after-sale-words.js';

export interface OrderPageContext {
  readonly nonce: LayoutOptions['nonce'];
  /** Whether the receipt email effect is configured: the page promises email only then. */
  readonly emailConfigured: boolean;
  /** Secrets (access codes) and personal data show only this long after fulfillment. */
  readonly secretWindowMs: number;
  readonly now: Date;
  /** `npm run demo`'s mailbox page, where the receipt email can be seen. */
  readonly demoMailboxUrl?: string | undefined;
}

/**
 * The confirmed order, and what each handler told the customer (its notes, shown as it declared them:
 * order-notes.ts). Whoever holds the session id can open this page, so the email address and every note
 * not declared public appear only within ORDER_PAGE_SECRET_WINDOW of fulfillment (the customer's own visit
 * right after paying); later the page says where they went instead.
 */
export function fulfilledPage(view: SessionView, details: OrderDetails, ctx: OrderPageContext): SafeHtml {
  const fulfilledAt = view.fulfilled_at === null ? ctx.now : new Date(view.fulfilled_at);
  const open = ctx.now.getTime() - fulfilledAt.getTime() < ctx.secretWindowMs;
  const email = view.customer_email;
  const currency = view.currency ?? view.line_items[0]?.currency ?? 'usd';
  const rows = view.line_items.map(
    (item) => html`<tr>
  <td>${item.description ?? 'Item'}</td>
  <td class="num">${item.quantity ?? 1}</td>
  <td class="num">${formatMoney(item.unit_amount, item.currency)}</td>
  <td class="num">${formatMoney(item.amount_total, item.currency)}</td>
</tr>`,
  );
  const total = view.amount_total ?? view.line_items.reduce((sum, i) => sum + i.amount_total, 0);
  // The view holds the first SHOWN_LINE_ITEMS (db/session-view.ts): say how many more, rather than render 10,000 rows.
  const more = view.line_item_count - view.line_items.length;
  const moreRow = more <= 0 ? '' : html`<tr><td colspan="4" class="muted">… ${moreItemsText(more)}</td></tr>`;

  const described = new Map(view.line_items.map((item) => [item.id, item.description ?? 'Item']));
  // Notes about the items shown and the whole order, bounded as the items are.
  const shownNotes = firstShown(details.notes.filter((n) => n.lineItemId === null || described.has(n.lineItemId))).shown;
  const { sections, withheld } = noteSections(shownNotes, (id) => described.get(id), open);
  const withheldNote = withheld
    ? html`<p class="muted">Some details are shown on this page only in the first ${formatWindow(ctx.secretWindowMs)} after purchase.
${ctx.emailConfigured && email !== null ? html`They were emailed to ${maskEmail(email)}.` : 'Contact the shop with your order reference to have them sent again.'}</p>`
    : '';

  // After the sale (refunds, disputes): what happened, in the customer's words, above everything else.
  const afterSale = afterSaleWords({
    amountRefunded: view.amount_refunded,
    currency,
    refundedAt: view.refunded_at === null ? null : new Date(view.refunded_at),
    items: view.line_items.map((item) => ({ description: item.description ?? 'Item', access: item.access })),
  });

  const head = headline(view);
  const refundedRow =
    view.amount_refunded > 0 ? html`<tr><td colspan="3">Refunded</td><td class="num">${formatMoney(view.amount_refunded, currency)}</td></tr>` : '';

  return layout(
    { title: head.title, nonce: ctx.nonce },
    html`<p><span class="badge ${head.tone}">${head.badge}</span></p>
<h1>${head.heading}</h1>
${afterSale === undefined ? '' : html`<p class="card" role="status">${afterSale}</p>`}
${ctx.emailConfigured && email !== null ? html`<p class="muted">A receipt goes to ${open ? email : maskEmail(email)}.</p>` : ''}
${ctx.demoMailboxUrl === undefined ? '' : html`<p class="card">Demo: nothing leaves this machine. <a href="${ctx.demoMailboxUrl}">Open the demo mailbox</a> to see the receipt email.</p>`}
${sections}
${withheldNote}
<section class="card">
<table>
<caption>Order summary</caption>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit</th><th scope="col" class="num">Total</th></tr></thead>
<tbody>${rows}${moreRow}</tbody>
<tfoot><tr><td colspan="3">Total paid</td><td class="num">${formatMoney(total, currency)}</td></tr>${refundedRow}</tfoot>
</table>
</section>
<p class="muted">Order reference ${identifier(view.session_id)}${view.trace_id === null ? '' : html` · trace ${identifier(view.trace_id)}`}</p>`,
  );
}

interface Headline {
  readonly title: string;
  readonly badge: string;
  readonly tone: 'ok' | 'wait' | 'bad';
  readonly heading: string;
}

/**
 * The page's first words follow the order's state now, not at payment: a refunded order thanking the customer
 * for a confirmed order told them nothing had happened. A dispute is named neutrally (the customer may not have
 * opened it: a bank can). An order whose refund failed or whose dispute was won reads as it did when paid.
 */
function headline(view: SessionView): Headline {
  if (view.refund_state === 'full') return { title: 'Your order was refunded', badge: 'Refunded', tone: 'wait', heading: 'Your order was refunded in full.' };
  if (view.access === 'suspended') return { title: 'Access to your order is paused', badge: 'Paused', tone: 'wait', heading: 'Access to your order is paused.' };
  if (view.refund_state === 'partial') return { title: 'Your order was partly refunded', badge: 'Partly refunded', tone: 'wait', heading: 'Your order was partly refunded.' };
  if (view.access === 'revoked') return { title: 'Access to your order has ended', badge: 'Access ended', tone: 'bad', heading: 'Access to your order has ended.' };
  return { title: 'Thank you: your order is confirmed', badge: 'Paid', tone: 'ok', heading: 'Thank you! Your order is confirmed.' };
}

/** 3_600_000 → `hour`, 7_200_000 → `2 hours`, 90_000 → `90 seconds`. */
function formatWindow(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  const [size, name] = units.find(([u]) => ms % u === 0) ?? [1000, 'second'];
  const n = Math.max(1, Math.round(ms / size));
  return n === 1 ? name : `${n} ${name}s`;
}

/** `ada@example.com` → `a•••@example.com`: enough for the customer to recognise, not to contact them. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${email.slice(0, 1)}•••${email.slice(at)}`;
}
