import type Stripe from 'stripe';
import { STRIPE_PAGE_LIMIT } from './stripe-page.js';


/**
 * Products already read, by id: sessions of a sale share a handful of products. A plain Map for one
 * reconciliation run; the worker's batched reads keep one with a TTL (stripe/product-cache.ts).
 */
export interface ProductCache {
  has(id: string): boolean;
  get(id: string): Stripe.Product | undefined;
  set(id: string, product: Stripe.Product): unknown;
}

/**
 * Every line item of each listed session, with its product expanded as the fulfillment path expects,
 * spending as little as the list allows: the page's own `expand[]=data.line_items` first page, one
 * `/line_items` walk only for a session whose expanded list `has_more`, and the products the page
 * cannot expand (5 levels deep, refused by Stripe) read `ids[]` at a time, each product once per run.
 *
 * A session one of whose products cannot be read maps to undefined: its items are never recorded with
 * a product missing (that would fulfill them as the wrong kind); the caller falls back to a run.
 */
export async function lineItemsForPage(
  stripe: Stripe,
  sessions: readonly Stripe.Checkout.Session[],
  cache: ProductCache,
  /** `stripeAccount` for a connected account's sessions (their products are the account's too). */
  opts?: Stripe.RequestOptions,
): Promise<Map<string, Stripe.LineItem[] | undefined>> {
  const raw = new Map<string, Stripe.LineItem[]>();
  for (const session of sessions) raw.set(session.id, await allLineItems(stripe, session, opts, cache));
  const wanted = new Set<string>();
  for (const items of raw.values()) {
    for (const item of items) {
      const product = item.price?.product;
      if (typeof product === 'string' && !cache.has(product)) wanted.add(product);
    }
  }
  const ids = [...wanted];
  for (let i = 0; i < ids.length; i += STRIPE_PAGE_LIMIT) {
    const products = await stripe.products.list({ ids: ids.slice(i, i + STRIPE_PAGE_LIMIT), limit: STRIPE_PAGE_LIMIT }, opts);
    for (const product of products.data) cache.set(product.id, product);
  }
  const out = new Map<string, Stripe.LineItem[] | undefined>();
  for (const [id, items] of raw) out.set(id, withProducts(items, cache));
  return out;
}

/**
 * Every line item of one session, products expanded: the session's expanded `line_items` holds only the
 * first page, so the rest are auto-paginated. Products seen on the way go into `cache` when one is given.
 * Shared by the single-session run (domain/fulfill-checkout.ts) and the page reads above.
 */
export async function allLineItems(
  stripe: Stripe,
  session: Stripe.Checkout.Session,
  opts: Stripe.RequestOptions | undefined,
  cache?: ProductCache,
): Promise<Stripe.LineItem[]> {
  const first = session.line_items;
  const items = [...(first?.data ?? [])];
  const last = items.at(-1);
  if (first !== undefined && first !== null && !(first.has_more && last !== undefined)) return items;
  // Three levels from this endpoint, so the rest come with their products expanded.
  const expand = ['data.price.product'];
  const params = last === undefined ? { limit: STRIPE_PAGE_LIMIT, expand } : { limit: STRIPE_PAGE_LIMIT, starting_after: last.id, expand };
  // autoPagingEach, not autoPagingToArray: the latter refuses lists over 10,000 items.
  await stripe.checkout.sessions.listLineItems(session.id, params, opts).autoPagingEach((item) => {
    const product = item.price?.product;
    if (cache !== undefined && typeof product === 'object' && product !== null && !('deleted' in product)) cache.set(product.id, product);
    items.push(item);
  });
  return items;
}

function withProducts(items: readonly Stripe.LineItem[], cache: ProductCache): Stripe.LineItem[] | undefined {
  const out: Stripe.LineItem[] = [];
  for (const item of items) {
    const id = item.price?.product;
    if (typeof id !== 'string' || item.price === null) {
      out.push(item);
      continue;
    }
    const product = cache.get(id);
    if (product === undefined) return undefined;
    out.push({ ...item, price: { ...item.price, product } });
  }
  return out;
}
