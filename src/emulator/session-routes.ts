import type { FastifyInstance, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import { DEFAULT_PAGE, page, parseCreated, parseEnum, parseExpand, parseLimit, parseString, toArray, ParamError } from './list-params.js';
import type { LineItemSpec, SessionSpec } from './objects.js';
import type { EmulatorStore, StoredSession } from './store.js';

/** What the emulator can expand, per endpoint (Stripe refuses anything deeper than 4 levels anyway). */
const RETRIEVE_EXPANDABLE = ['line_items.data.price.product', 'payment_intent'];
const LIST_EXPANDABLE = ['data.line_items.data.price', 'data.payment_intent'];
const LINE_ITEMS_EXPANDABLE = ['data.price.product'];
const STATUSES = ['open', 'complete', 'expired'];

/** `/v1/checkout/sessions…`: create, retrieve, list (with Stripe's filters and expansion) and line items. */
export async function sessionRoutes(api: FastifyInstance, deps: { store: EmulatorStore }): Promise<void> {
  const { store } = deps;

  api.post('/v1/checkout/sessions', async (req) => store.createSession(parseCreateParams(req.body as Record<string, unknown>, isLiveKey(req)), accountOf(req)));

  api.get<{ Params: { id: string } }>('/v1/checkout/sessions/:id', async (req) => {
    const expand = parseExpand((req.query as Record<string, unknown>).expand, RETRIEVE_EXPANDABLE);
    const stored = store.get(req.params.id, accountOf(req));
    const session = expand.includes('payment_intent') ? withPaymentIntent(store, stored) : stored.session;
    // Expanding a nested path expands its parents, as on Stripe.
    if (!expand.some((e) => e === 'line_items' || e.startsWith('line_items.'))) return session;
    const items = expand.includes('line_items.data.price.product') ? stored.lineItems.map((i) => withProduct(store, i, stored.account)) : stored.lineItems;
    return { ...session, line_items: page(items, DEFAULT_PAGE, undefined, lineItemsUrl(req.params.id)) };
  });

  api.get<{ Params: { id: string } }>('/v1/checkout/sessions/:id/line_items', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = parseLimit(q.limit);
    const expand = parseExpand(q.expand, LINE_ITEMS_EXPANDABLE);
    const stored = store.get(req.params.id, accountOf(req));
    const items = expand.includes('data.price.product') ? stored.lineItems.map((i) => withProduct(store, i, stored.account)) : stored.lineItems;
    return page(items, limit, q.starting_after, lineItemsUrl(req.params.id));
  });

  /** https://docs.stripe.com/api/checkout/sessions/list */
  api.get('/v1/checkout/sessions', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = parseLimit(q.limit);
    const expand = parseExpand(q.expand, LIST_EXPANDABLE);
    const all = store.list({
      account: accountOf(req),
      status: parseEnum(q.status, 'status', STATUSES),
      paymentIntent: parseString(q.payment_intent, 'payment_intent'),
      customer: parseString(q.customer, 'customer'),
      created: parseCreated(q.created),
    });
    const listed = page(
      all.map((stored) => ({ id: stored.session.id, stored })),
      limit,
      q.starting_after,
      '/v1/checkout/sessions',
    );
    const withItems = expand.some((e) => e.startsWith('data.line_items'));
    const withIntent = expand.includes('data.payment_intent');
    return {
      ...listed,
      data: listed.data.map(({ stored }) => {
        const session = withItems ? expandLineItems(stored) : stored.session;
        return withIntent ? { ...session, payment_intent: withPaymentIntent(store, stored).payment_intent } : session;
      }),
    };
  });
}

/** The session with its PaymentIntent object in place of the id (null stays null: a free order has none). */
function withPaymentIntent(store: EmulatorStore, stored: StoredSession): Stripe.Checkout.Session {
  const id = stored.session.payment_intent;
  return typeof id === 'string' ? { ...stored.session, payment_intent: store.paymentIntent(id, stored.account) } : stored.session;
}

/** A listed session with its first page of line items, as `expand[]=data.line_items` gives it. */
function expandLineItems(stored: StoredSession): Stripe.Checkout.Session {
  return { ...stored.session, line_items: page(stored.lineItems, DEFAULT_PAGE, undefined, lineItemsUrl(stored.session.id)) };
}

function withProduct(store: EmulatorStore, item: Stripe.LineItem, account: string | undefined): Stripe.LineItem {
  const id = item.price?.product;
  const product = typeof id === 'string' ? store.product(id, account) : undefined;
  return product === undefined || item.price === null ? item : { ...item, price: { ...item.price, product } };
}

export function accountOf(req: FastifyRequest): string | undefined {
  const h = req.headers['stripe-account'];
  return typeof h === 'string' && h.length > 0 ? h : undefined;
}

export function isLiveKey(req: FastifyRequest): boolean {
  return (req.headers.authorization ?? '').includes('_live_');
}

function lineItemsUrl(id: string): string {
  return `/v1/checkout/sessions/${id}/line_items`;
}

/** `POST /v1/checkout/sessions` params: `line_items[n][price_data][…]` and `quantity`. */
function parseCreateParams(body: Record<string, unknown>, livemode: boolean): SessionSpec {
  const raw = toObjects(body.line_items);
  if (raw.length === 0) throw new ParamError('line_items is required', 'line_items');
  const lineItems: LineItemSpec[] = [];
  for (const [i, item] of raw.entries()) {
    const pd = (item.price_data ?? {}) as Record<string, unknown>;
    const product = (pd.product_data ?? {}) as Record<string, unknown>;
    const unitAmount = Number(pd.unit_amount);
    const quantity = item.quantity === undefined ? 1 : Number(item.quantity);
    if (typeof pd.currency !== 'string' || !Number.isInteger(unitAmount) || unitAmount < 0) {
      throw new ParamError(`line_items[${i}][price_data] needs currency and a non-negative integer unit_amount`, 'line_items');
    }
    if (!Number.isInteger(quantity) || quantity < 1) throw new ParamError(`line_items[${i}][quantity] must be a positive integer`, 'line_items');
    lineItems.push({
      name: typeof product.name === 'string' ? product.name : 'Item',
      unitAmount,
      quantity,
      currency: pd.currency.toLowerCase(),
      ...(typeof pd.product === 'string' ? { productId: pd.product } : {}),
      ...(typeof product.metadata === 'object' && product.metadata !== null ? { metadata: product.metadata as Record<string, string> } : {}),
    });
  }
  return {
    lineItems,
    livemode,
    ...(typeof body.customer_email === 'string' ? { customerEmail: body.customer_email } : {}),
    ...(typeof body.success_url === 'string' ? { successUrl: body.success_url } : {}),
    ...(typeof body.cancel_url === 'string' ? { cancelUrl: body.cancel_url } : {}),
    ...(typeof body.metadata === 'object' && body.metadata !== null ? { metadata: body.metadata as Record<string, string> } : {}),
    ...(body.payment_method_types !== undefined ? { paymentMethodTypes: toArray(body.payment_method_types) } : {}),
    ...(typeof body.shipping_address_collection === 'object' && body.shipping_address_collection !== null
      ? { shippingCountries: toArray((body.shipping_address_collection as Record<string, unknown>).allowed_countries) }
      : {}),
  };
}

function toObjects(v: unknown): Record<string, unknown>[] {
  const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [];
  return list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
}
