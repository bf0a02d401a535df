import type { SessionView } from '../../db/session-view.js';
import type { OrderDetails } from '../../db/order-details.js';
import { html, layout, type LayoutOptions, type SafeHtml } from './html.js';
import { formatMoney } from './money.js';

type Nonce = LayoutOptions['nonce'];

const REFRESH_SECONDS = 3;

function watching(sessionId: string, nonce: Nonce, title: string, statuses: readonly string[]): LayoutOptions {
  return {
    title,
    nonce,
    refreshSeconds: REFRESH_SECONDS,
    watch: { statusUrl: `/api/checkout-sessions/${encodeURIComponent(sessionId)}`, whileStatus: statuses },
  };
}

export function fulfilledPage(view: SessionView, details: OrderDetails, nonce: Nonce): SafeHtml {
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
  const deliveries = view.line_items.flatMap((item) => {
    const access = details.access.get(item.id);
    if (access !== undefined) {
      return [html`<li><strong>${item.description}</strong>: yours now. Access code <code>${access.accessCode}</code></li>`];
    }
    const ship = details.shipping.get(item.id);
    if (ship !== undefined) {
      const a = ship.address ?? {};
      const lines = [ship.shipToName, a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.state, a.country].filter(
        (l) => l !== null && l !== undefined && l !== '',
      );
      return [html`<li><strong>${item.description}</strong> × ${item.quantity ?? 1}: shipping to ${lines.join(', ')} <span class="badge wait">${ship.status}</span></li>`];
    }
    return [];
  });
  return layout(
    { title: 'Thank you: your order is confirmed', nonce },
    html`<p><span class="badge ok">Paid</span></p>
<h1>Thank you! Your order is confirmed.</h1>
${view.customer_email === null ? '' : html`<p class="muted">A receipt goes to ${view.customer_email}.</p>`}
${deliveries.length === 0 ? '' : html`<section class="card" aria-labelledby="have"><h2 id="have">What you have now</h2><ul class="items">${deliveries}</ul></section>`}
<section class="card">
<table>
<caption>Order summary</caption>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit</th><th scope="col" class="num">Total</th></tr></thead>
<tbody>${rows}</tbody>
<tfoot><tr><td colspan="3">Total paid</td><td class="num">${formatMoney(total, currency)}</td></tr></tfoot>
</table>
</section>
<p class="muted">Order reference <code>${view.session_id}</code></p>`,
  );
}

export function awaitingPaymentPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    watching(sessionId, nonce, 'Payment processing', ['pending', 'awaiting_payment']),
    html`<p><span class="badge wait">Processing</span></p>
<h1>Your payment is processing</h1>
<div role="status" aria-live="polite"><p>Bank payments can take a little while to clear. We'll email you as soon as it does, and this page updates by itself.</p></div>
<p class="muted">Order reference <code>${sessionId}</code></p>`,
  );
}

export function stillWorkingPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    watching(sessionId, nonce, 'Confirming your order', ['pending', 'awaiting_payment', 'unknown']),
    html`<h1>We're confirming your order</h1>
<div role="status" aria-live="polite"><p>This is taking longer than usual. This page updates by itself as soon as your order is confirmed.</p></div>
<p class="muted">Order reference <code>${sessionId}</code></p>`,
  );
}

export function paymentFailedPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Payment failed', nonce },
    html`<p><span class="badge bad">Payment failed</span></p>
<h1>Your payment didn't go through</h1>
<p>Your bank declined the payment, so nothing was charged and the order was not placed. You can try again with another payment method.</p>
<p><a class="btn" href="/">Back to the shop</a></p>
<p class="muted">Reference <code>${sessionId}</code></p>`,
  );
}

export function expiredPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Checkout expired', nonce },
    html`<h1>This checkout expired</h1>
<p>The checkout was not completed in time, so nothing was charged. You can start again whenever you like.</p>
<p><a class="btn" href="/">Back to the shop</a></p>
<p class="muted">Reference <code>${sessionId}</code></p>`,
  );
}

export function notFoundPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Order not found', nonce },
    html`<h1>We can't find that order</h1>
<p>The link may be incomplete. If you paid, your receipt email has the right link.</p>
<p><a href="/">Back to the shop</a></p>`,
  );
}

export function malformedPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Invalid order link', nonce },
    html`<h1>That order link isn't valid</h1>
<p>The link should end with <code>?session_id=cs_…</code>. Please use the link from your receipt.</p>
<p><a href="/">Back to the shop</a></p>`,
  );
}

export function tooManyRequestsPage(nonce: Nonce, retryAfterSeconds: number): SafeHtml {
  return layout(
    { title: 'Slow down a little', nonce, refreshSeconds: Math.max(retryAfterSeconds, 5) },
    html`<h1>Just a moment</h1>
<div role="status"><p>We've had a lot of requests from your connection. This page will try again in a few seconds.</p></div>`,
  );
}

export function serverErrorPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Something went wrong', nonce, refreshSeconds: 10 },
    html`<h1>Something went wrong on our side</h1>
<p>Your payment and order are safe. This page will try again in a few seconds.</p>`,
  );
}
