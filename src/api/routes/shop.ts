import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { html, layout, sendHtml } from '../../lib/html.js';
import { formatMoney } from '../../domain/money.js';

export interface ShopRouteOptions {
  readonly stripe: Stripe;
  /** Where the customer's browser reaches this api: the origin of the success URL. */
  readonly publicUrl: string;
}

interface Product {
  readonly id: string;
  readonly name: string;
  readonly blurb: string;
  readonly lineItems: Stripe.Checkout.SessionCreateParams.LineItem[];
  readonly shipping: boolean;
}

const usd = (name: string, cents: number, fulfillment: 'access' | 'shipping', quantity = 1): Stripe.Checkout.SessionCreateParams.LineItem => ({
  price_data: { currency: 'usd', unit_amount: cents, product_data: { name, metadata: { fulfillment } } },
  quantity,
});

/** Three products: digital (access), physical (shipping address collected), and one order of 24 line items (pagination). */
const CATALOG: readonly Product[] = [
  { id: 'field-guide', name: 'Field Guide to Payments (e-book)', blurb: 'Digital: instant access after payment.', lineItems: [usd('Field Guide to Payments (e-book)', 1200, 'access')], shipping: false },
  { id: 'mug', name: 'Stoneware mug', blurb: 'Physical: shipped to you.', lineItems: [usd('Stoneware mug', 1800, 'shipping', 2)], shipping: true },
  {
    id: 'stickers',
    name: 'Sticker collection (24 designs)',
    blurb: 'Physical: 24 separate designs, one order line each.',
    lineItems: Array.from({ length: 24 }, (_, i) => usd(`Sticker #${i + 1}`, 150, 'shipping')),
    shipping: true,
  },
];

/** The demo shop (outside production only): "Buy" creates a Checkout Session with the real SDK. */
export async function shopRoutes(app: FastifyInstance, opts: ShopRouteOptions): Promise<void> {
  await app.register(formbody);

  app.get('/', async (_request, reply) => {
    const cards = CATALOG.map((p) => {
      const total = p.lineItems.reduce((sum, li) => sum + (li.price_data?.unit_amount ?? 0) * (li.quantity ?? 1), 0);
      return html`<section class="card" aria-labelledby="p-${p.id}">
  <h2 id="p-${p.id}">${p.name}</h2>
  <p>${p.blurb}</p>
  <p>${quantities(p).map((q, i) => html`${i === 0 ? '' : ' + '}<span class="qty">${q.quantity} × ${formatMoney(q.unitAmount, 'usd')}</span>`)}: <strong>${formatMoney(total, 'usd')}</strong></p>
  <form method="post" action="/shop/checkout"><input type="hidden" name="product" value="${p.id}"><button class="btn" type="submit" data-product="${p.id}">Buy</button></form>
</section>`;
    });
    const page = layout(
      { title: 'Demo shop', nonce: reply.cspNonce },
      html`<h1>Demo shop</h1><p class="muted">Test mode: pay with 4242 4242 4242 4242, any future date, any CVC.</p><div class="products">${cards}</div>`,
    );
    return sendHtml(reply, 200, page);
  });

  app.post<{ Body: { product?: unknown } }>('/shop/checkout', async (request, reply) => {
    const product = CATALOG.find((p) => p.id === request.body?.product);
    if (product === undefined) return reply.code(400).send({ error: 'unknown_product', message: `product must be one of ${CATALOG.map((p) => p.id).join(', ')}` });
    const session = await opts.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: product.lineItems,
      success_url: `${opts.publicUrl}/after-checkout?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${opts.publicUrl}/`,
      ...(product.shipping ? { shipping_address_collection: { allowed_countries: ['US', 'GB', 'FR', 'DE', 'JP'] } } : {}),
    });
    if (session.url === null) throw new Error('Stripe returned a session without a url');
    return reply.redirect(session.url, 303);
  });
}

/** How many of what unit price the order holds: "2 × $18.00" for two mugs, "24 × $1.50" for 24 sticker lines. */
function quantities(p: Product): { quantity: number; unitAmount: number }[] {
  const byPrice = new Map<number, number>();
  for (const li of p.lineItems) {
    const unit = li.price_data?.unit_amount ?? 0;
    byPrice.set(unit, (byPrice.get(unit) ?? 0) + (li.quantity ?? 1));
  }
  return [...byPrice].map(([unitAmount, quantity]) => ({ quantity, unitAmount }));
}
