import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type Stripe from 'stripe';
import { html, layout, SafeHtml, sendHtml } from '../lib/html.js';
import { formatMoney } from '../domain/money.js';
import type { TrafficGate } from './traffic-gate.js';
import type { EmulatorStore } from './store.js';
import type { WebhookSender } from './webhook-sender.js';

export interface HostedPageDeps {
  readonly store: EmulatorStore;
  readonly gate: TrafficGate;
  readonly webhooks: WebhookSender;
}

/** Stripe's test cards: https://docs.stripe.com/testing */
const CARD_OK = '4242424242424242';
const CARD_DECLINED = '4000000000000002';

type Method = 'card' | 'debit_succeeds' | 'debit_fails';

interface PayForm {
  email?: string;
  method?: string;
  card_number?: string;
  expiry?: string;
  cvc?: string;
  postal_code?: string;
  name?: string;
  line1?: string;
  city?: string;
  ship_postal_code?: string;
  country?: string;
}

/**
 * The hosted payment page (`session.url`), behaving like Stripe Checkout in test mode: 4242… pays,
 * 4000 0000 0000 0002 is declined, two delayed bank debits complete `unpaid` and settle (or fail) a few
 * seconds later. After paying it sends the signed webhook and redirects to the success URL.
 */
export async function hostedPageRoutes(app: FastifyInstance, deps: HostedPageDeps): Promise<void> {
  const { store, gate, webhooks } = deps;

  app.get<{ Params: { id: string } }>('/pay/:id', async (req, reply) => {
    const s = store.peek(req.params.id);
    if (s === undefined) return page(reply, 404, html`<h1>No such checkout</h1>`);
    if (s.session.status !== 'open') return page(reply, 410, html`<h1>This checkout is ${s.session.status}</h1>`);
    return page(reply, 200, form(s.session, s.lineItems, {}));
  });

  app.post<{ Params: { id: string }; Body: PayForm }>('/pay/:id', async (req, reply) => {
    const s = store.peek(req.params.id);
    if (s === undefined) return page(reply, 404, html`<h1>No such checkout</h1>`);
    if (s.session.status !== 'open') return page(reply, 410, html`<h1>This checkout is ${s.session.status}</h1>`);
    const body = req.body ?? {};
    const method = (['card', 'debit_succeeds', 'debit_fails'] as const).find((m) => m === body.method) ?? 'card';
    const error = validate(method, body, s.session.shipping_address_collection !== null);
    if (error !== undefined) return page(reply, 402, form(s.session, s.lineItems, body, error));

    const needsShipping = s.session.shipping_address_collection !== null;
    const completed = store.complete(
      s.session.id,
      {
        paymentStatus: method === 'card' ? 'paid' : 'unpaid',
        email: (body.email ?? '').trim(),
        name: body.name || 'Jenny Rosen',
        ...(needsShipping
          ? {
              shipping: {
                name: body.name ?? '',
                address: { line1: body.line1 ?? '', line2: null, city: body.city ?? '', postal_code: body.ship_postal_code ?? '', state: null, country: body.country ?? 'US' },
              },
            }
          : {}),
      },
      s.account,
    );
    // webhookDelayMs 0: the webhook is delivered before the redirect; > 0: that long after it.
    const delay = gate.knobs.webhookDelayMs;
    if (delay > 0) void webhooks.send(completed, { delayMs: delay });
    else await webhooks.send(completed);
    if (method !== 'card') {
      const outcome = method === 'debit_succeeds' ? 'succeeded' : 'failed';
      setTimeout(() => void webhooks.send(store.asyncPayment(s.session.id, outcome, s.account)), gate.knobs.asyncPaymentDelayMs).unref();
    }
    const success = (s.session.success_url ?? '').replace('{CHECKOUT_SESSION_ID}', s.session.id);
    return reply.redirect(success, 303);
  });
}

/** One plain address, as Checkout's own email field accepts (the receipt goes there). */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:".]+(\.[^\s@<>()[\]\\,;:".]+)+$/;

function validate(method: Method, body: PayForm, needsShipping: boolean): string | undefined {
  if (!EMAIL.test((body.email ?? '').trim())) return 'Please enter a valid email address.';
  if (needsShipping && (!body.name || !body.line1 || !body.city || !body.ship_postal_code || !body.country)) {
    return 'Please enter your shipping address.';
  }
  if (method !== 'card') return undefined;
  const number = (body.card_number ?? '').replace(/\s+/g, '');
  const expiry = /^(\d{2})\s*\/\s*(\d{2})$/.exec(body.expiry ?? '');
  if (number === CARD_DECLINED) return 'Your card was declined.';
  if (number !== CARD_OK) return 'Your card number is incorrect.';
  if (expiry === null) return 'Your card’s expiration date is incomplete.';
  const month = Number(expiry[1]);
  const year = 2000 + Number(expiry[2]);
  const now = new Date();
  if (month < 1 || month > 12 || year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
    return 'Your card’s expiration date is in the past.';
  }
  if (!/^\d{3,4}$/.test(body.cvc ?? '')) return 'Your card’s security code is incomplete.';
  return undefined;
}

/** Labels above full-width fields, card details on one row of three: lines up on a 360 px phone and on a desktop. */
const STYLE = `
  form .field { display: block; margin: 0 0 .75rem; }
  form .field input, form .field select { display: block; width: 100%; box-sizing: border-box; margin-top: .2rem; padding: .55rem .6rem; font: inherit; border: 1px solid #c9d1db; border-radius: 6px; background: #fff; }
  /* Bottom-aligned: a label that wraps ("Expiry (MM / YY)") never pushes its input below its neighbours'. */
  form .row { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .5rem; align-items: end; }
  form .choice { display: flex; gap: .5rem; align-items: center; margin: .4rem 0; }
  fieldset { border: 0; padding: 0; margin: 0 0 1rem; min-width: 0; }
  legend { font-weight: 600; padding: 0; margin-bottom: .5rem; }
  .btn { width: 100%; }
`;

function form(session: Stripe.Checkout.Session, items: readonly Stripe.LineItem[], values: PayForm, error?: string): SafeHtml {
  const rows = items.map(
    (i) => html`<tr><td>${i.description}</td><td class="num">${i.quantity}</td><td class="num">${formatMoney(i.amount_total, i.currency)}</td></tr>`,
  );
  const field = (label: string, name: keyof PayForm, attrs: SafeHtml) =>
    html`<label class="field">${label} <input name="${name}" ${attrs} value="${values[name] ?? ''}"></label>`;
  const shipping =
    session.shipping_address_collection === null
      ? ''
      : html`<fieldset><legend>Shipping address</legend>
${field('Full name', 'name', html`autocomplete="name"`)}
${field('Address', 'line1', html`autocomplete="address-line1"`)}
${field('City', 'city', html`autocomplete="address-level2"`)}
${field('Shipping postal code', 'ship_postal_code', html`autocomplete="postal-code"`)}
<label class="field">Country <select name="country">${session.shipping_address_collection.allowed_countries.map((c) => html`<option ${values.country === c ? 'selected' : ''}>${c}</option>`)}</select></label>
</fieldset>`;
  const email = values.email ?? session.customer_email ?? '';
  return html`<p class="muted">Stripe emulator · test mode</p>
<h1>Pay ${formatMoney(session.amount_total, session.currency)}</h1>
<section class="card"><table><caption>Order</caption><tbody>${rows}</tbody></table></section>
<form method="post" class="card">
${error === undefined ? '' : html`<p role="alert" class="badge bad" id="payment-error">${error}</p>`}
<fieldset><legend>Contact</legend>
<label class="field">Email <input name="email" type="email" autocomplete="email" required placeholder="you@example.com" value="${email}"></label>
</fieldset>
${shipping}
<fieldset><legend>Payment method</legend>
<label class="choice"><input type="radio" name="method" value="card" ${values.method === undefined || values.method === 'card' ? 'checked' : ''}> Card</label>
${field('Card number', 'card_number', html`inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"`)}
<div class="row">
${field('Expiry (MM / YY)', 'expiry', html`autocomplete="cc-exp" placeholder="12 / 34"`)}
${field('CVC', 'cvc', html`inputmode="numeric" autocomplete="cc-csc" placeholder="123"`)}
${field('Postal code', 'postal_code', html`autocomplete="postal-code"`)}
</div>
<label class="choice"><input type="radio" name="method" value="debit_succeeds" ${values.method === 'debit_succeeds' ? 'checked' : ''}> Bank debit (delayed)</label>
<label class="choice"><input type="radio" name="method" value="debit_fails" ${values.method === 'debit_fails' ? 'checked' : ''}> Bank debit (delayed, will fail)</label>
</fieldset>
<p><button class="btn" type="submit">Pay</button></p>
</form>`;
}

function page(reply: FastifyReply, status: number, body: SafeHtml) {
  const nonce = randomBytes(16).toString('base64');
  const doc = layout({ title: 'Checkout (Stripe emulator)', nonce: { script: nonce, style: nonce } }, html`<style nonce="${nonce}">${new SafeHtml(STYLE)}</style>${body}`);
  return sendHtml(reply, status, doc);
}
