import { html, identifier, layout, type LayoutOptions, type SafeHtml } from '../../lib/html.js';

type Nonce = LayoutOptions['nonce'];

/**
 * Seconds before each self-refresh of a page without JavaScript: backing off, then stopping with a way
 * to get help, so that a page left open neither reloads forever nor keeps a screen reader talking.
 */
export const REFRESH_STEPS = [5, 10, 20, 40, 80, 120] as const;
/** With JavaScript, the page polls the status API (Postgres only) with backoff for this long. */
const WATCH_FOR_MS = 10 * 60_000;

export interface WaitingPageContext {
  readonly nonce: Nonce;
  /** How many self-refreshes (pages without JavaScript) led here: the `refresh` query parameter. */
  readonly refreshStep: number;
  /** Whether the receipt email effect is configured: the page promises email only then. */
  readonly emailConfigured: boolean;
}

/** The layout of a page that waits for a change: a poller with script, a backing-off refresh without. */
function waiting(sessionId: string, ctx: WaitingPageContext, title: string, statuses: readonly string[]): LayoutOptions {
  const seconds = REFRESH_STEPS[ctx.refreshStep];
  const next = `/after-checkout?session_id=${encodeURIComponent(sessionId)}&refresh=${ctx.refreshStep + 1}`;
  return {
    title,
    nonce: ctx.nonce,
    ...(seconds === undefined ? {} : { refresh: { seconds, url: next, onlyWithoutScript: true } }),
    watch: { statusUrl: `/api/checkout-sessions/${encodeURIComponent(sessionId)}`, whileStatus: statuses, giveUpAfterMs: WATCH_FOR_MS },
  };
}

/** Shown (server-side) once the refreshes have stopped, and revealed by the poller when it gives up. */
function help(sessionId: string, ctx: WaitingPageContext, what: string): SafeHtml {
  const stopped = REFRESH_STEPS[ctx.refreshStep] === undefined;
  return html`<div id="help" ${stopped ? '' : html`hidden`}>
<p>This page has stopped updating by itself. ${what}</p>
<p><a class="btn" href="/after-checkout?session_id=${encodeURIComponent(sessionId)}">Check again</a></p>
<p class="muted">Need help? Contact the shop and quote your order reference.</p>
</div>`;
}

export function awaitingPaymentPage(sessionId: string, ctx: WaitingPageContext): SafeHtml {
  return layout(
    waiting(sessionId, ctx, 'Payment processing', ['pending', 'awaiting_payment']),
    html`<p><span class="badge wait">Processing</span></p>
<h1>Your payment is processing</h1>
<div role="status"><p>Bank payments can take a few days to clear. ${ctx.emailConfigured ? "We'll email you as soon as it does. " : ''}Your order is confirmed on this page once it has.</p></div>
${help(sessionId, ctx, 'Your payment is still processing; come back to this page later.')}
<p class="muted">Order reference ${identifier(sessionId)}</p>`,
  );
}

export function stillWorkingPage(sessionId: string, ctx: WaitingPageContext): SafeHtml {
  return layout(
    waiting(sessionId, ctx, 'Confirming your order', ['pending', 'awaiting_payment', 'unknown']),
    html`<h1>We're confirming your order</h1>
<div role="status"><p>This is taking longer than usual. This page updates as soon as your order is confirmed.</p></div>
${help(sessionId, ctx, 'If you paid, your order is safe and will be confirmed; check again in a few minutes.')}
<p class="muted">Order reference ${identifier(sessionId)}</p>`,
  );
}

/** An `open` session: the customer left Checkout (card declined, tab closed) before paying. */
export function notCompletedPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Checkout not completed', nonce },
    html`<h1>Checkout not completed</h1>
<p>This checkout was not paid, so nothing was charged. If your card was declined, you can go back and try again with another payment method.</p>
<p><a class="btn" href="/">Back to the shop</a></p>
<p class="muted">Reference ${identifier(sessionId)}</p>`,
  );
}

export function paymentFailedPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Payment failed', nonce },
    html`<p><span class="badge bad">Payment failed</span></p>
<h1>Your payment didn't go through</h1>
<p>Your bank declined the payment, so nothing was charged and the order was not placed. You can try again with another payment method.</p>
<p><a class="btn" href="/">Back to the shop</a></p>
<p class="muted">Reference ${identifier(sessionId)}</p>`,
  );
}

export function expiredPage(sessionId: string, nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Checkout expired', nonce },
    html`<h1>This checkout expired</h1>
<p>The checkout was not completed in time, so nothing was charged. You can start again whenever you like.</p>
<p><a class="btn" href="/">Back to the shop</a></p>
<p class="muted">Reference ${identifier(sessionId)}</p>`,
  );
}

export function notFoundPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Order not found', nonce },
    html`<h1>We can't find that order</h1>
<p>The link may be incomplete: it is the address your browser opened right after checkout.</p>
<p>If you paid and still see this, contact the shop with the date and amount of your payment.</p>
<p><a href="/">Back to the shop</a></p>`,
  );
}

export function malformedPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Invalid order link', nonce },
    html`<h1>That order link isn't valid</h1>
<p>An order link ends with <code>?session_id=cs_…</code>. Part of it may be missing: it is the address your browser opened right after checkout.</p>
<p><a href="/">Back to the shop</a></p>`,
  );
}

export function tooManyRequestsPage(nonce: Nonce, retryAfterSeconds: number): SafeHtml {
  return layout(
    { title: 'Slow down a little', nonce, refresh: { seconds: Math.max(retryAfterSeconds, 5) } },
    html`<h1>Just a moment</h1>
<div role="status"><p>We've had a lot of requests from your connection. This page will try again in a few seconds.</p></div>`,
  );
}

export function serverErrorPage(nonce: Nonce): SafeHtml {
  return layout(
    { title: 'Something went wrong', nonce, refresh: { seconds: 10 } },
    html`<h1>Something went wrong on our side</h1>
<p>Your payment and order are safe. This page will try again in a few seconds.</p>`,
  );
}
