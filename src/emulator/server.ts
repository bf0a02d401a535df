import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import qs from 'qs';
import type Stripe from 'stripe';
import { controlRoutes } from './control-routes.js';
import { hostedPageRoutes } from './hosted-page.js';
import { DEFAULT_KNOBS, TrafficGate, type Knobs } from './knobs.js';
import type { LineItemSpec, SessionSpec } from './objects.js';
import { EmulatorStore, InvalidState, NotFound } from './store.js';
import { stripeError } from './stripe-error.js';
import { WebhookSender } from './webhook-sender.js';

export interface EmulatorOptions {
  readonly webhookSecrets: readonly string[];
  /** Where signed events go (the service's `/webhook`); more can be added at run time. */
  readonly webhookEndpoints?: readonly string[];
  readonly knobs?: Partial<Knobs>;
  readonly webhookRetryBaseMs?: number;
  readonly webhookMaxAttempts?: number;
}

export interface Emulator {
  readonly app: FastifyInstance;
  readonly store: EmulatorStore;
  readonly gate: TrafficGate;
  readonly webhooks: WebhookSender;
  readonly endpoints: string[];
  /** Base URL once listening, e.g. http://127.0.0.1:12111 (what STRIPE_API_BASE points at). */
  url(): string;
}

const DEFAULT_PAGE = 10;
const API_KEY = /^Bearer ((sk|rk)_(test|live)_[A-Za-z0-9_]+)$/;

/**
 * A local stand-in for the parts of Stripe's API the service uses, with Stripe's object shapes, list
 * pagination and error format, plus webhooks and fault knobs. The real SDK talks to it over HTTP.
 */
export function createEmulator(opts: EmulatorOptions): Emulator {
  const app = Fastify({ logger: false, routerOptions: { querystringParser: (s) => qs.parse(s) as Record<string, unknown> } });
  let baseUrl = '';
  const store = new EmulatorStore(() => baseUrl);
  const gate = new TrafficGate({ ...DEFAULT_KNOBS, ...opts.knobs });
  const endpoints = [...(opts.webhookEndpoints ?? [])];
  const webhooks = new WebhookSender(() => endpoints, {
    secrets: opts.webhookSecrets,
    retryBaseMs: opts.webhookRetryBaseMs ?? 500,
    maxAttempts: opts.webhookMaxAttempts ?? 8,
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, qs.parse(body as string));
  });
  app.addHook('onListen', async () => {
    const addr = app.server.address();
    if (addr !== null && typeof addr === 'object') baseUrl = `http://127.0.0.1:${addr.port}`;
  });
  app.addHook('onClose', async () => webhooks.close());

  app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      const auth = API_KEY.exec(req.headers.authorization ?? '');
      if (auth === null) {
        return reply.code(401).send(stripeError('invalid_request_error', 'Invalid API Key provided'));
      }
      const endpoint = `${req.method} ${req.routeOptions.url ?? req.url}`;
      const fate = gate.admit(endpoint);
      if (fate === 'rate_limited') {
        return reply
          .code(429)
          .send(stripeError('invalid_request_error', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', { code: 'rate_limit' }));
      }
      if (fate === 'server_error') return reply.code(500).send(stripeError('api_error', 'An unknown error occurred'));
      reply.header('request-id', `req_${Date.now().toString(36)}`);
    });
    // Latency is added after the handler has read the state, as on the wire back from Stripe: a run
    // that is waiting on a response really holds a stale view of the session.
    api.addHook('onSend', async () => {
      if (gate.knobs.latencyMs > 0) await sleep(gate.knobs.latencyMs);
    });
    api.setErrorHandler((err, _req, reply) => {
      if (err instanceof NotFound) return reply.code(404).send(stripeError('invalid_request_error', err.message, { code: 'resource_missing', param: 'id' }));
      if (err instanceof InvalidState) return reply.code(400).send(stripeError('invalid_request_error', err.message));
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status).send(stripeError(status >= 500 ? 'api_error' : 'invalid_request_error', (err as Error).message));
    });

    api.post('/v1/checkout/sessions', async (req, reply) => {
      const spec = parseCreateParams(req.body as Record<string, unknown>, isLiveKey(req));
      if (typeof spec === 'string') return reply.code(400).send(stripeError('invalid_request_error', spec, { param: 'line_items' }));
      return store.createSession(spec, account(req));
    });

    api.get<{ Params: { id: string } }>('/v1/checkout/sessions/:id', async (req) => {
      const stored = store.get(req.params.id, account(req));
      const expand = toArray((req.query as Record<string, unknown>).expand);
      // Expanding a nested path expands its parents, as on Stripe.
      if (!expand.some((e) => e === 'line_items' || e.startsWith('line_items.'))) return stored.session;
      const items = expand.includes('line_items.data.price.product') ? stored.lineItems.map(withProduct) : stored.lineItems;
      return { ...stored.session, line_items: page(items, DEFAULT_PAGE, undefined, lineItemsUrl(req.params.id)) };
    });

    api.get<{ Params: { id: string } }>('/v1/checkout/sessions/:id/line_items', async (req, reply) => {
      const stored = store.get(req.params.id, account(req));
      const q = req.query as Record<string, unknown>;
      const limit = parseLimit(q.limit);
      if (limit === undefined) return reply.code(400).send(stripeError('invalid_request_error', 'limit must be an integer from 1 to 100', { param: 'limit' }));
      const items = toArray(q.expand).includes('data.price.product') ? stored.lineItems.map(withProduct) : stored.lineItems;
      const listed = page(items, limit, q.starting_after as string | undefined, lineItemsUrl(req.params.id));
      if (listed === undefined) return reply.code(400).send(stripeError('invalid_request_error', 'starting_after is not an item of this list', { param: 'starting_after' }));
      return listed;
    });

    api.get('/v1/checkout/sessions', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const limit = parseLimit(q.limit);
      if (limit === undefined) return reply.code(400).send(stripeError('invalid_request_error', 'limit must be an integer from 1 to 100', { param: 'limit' }));
      const created = (q.created ?? {}) as Record<string, string>;
      const all = store.list({
        account: account(req),
        ...(typeof q.status === 'string' ? { status: q.status } : {}),
        ...(created.gte !== undefined ? { createdGte: Number(created.gte) } : {}),
        ...(created.lte !== undefined ? { createdLte: Number(created.lte) } : {}),
      });
      const listed = page(all, limit, q.starting_after as string | undefined, '/v1/checkout/sessions');
      if (listed === undefined) return reply.code(400).send(stripeError('invalid_request_error', 'starting_after is not an item of this list', { param: 'starting_after' }));
      return listed;
    });
  });

  function withProduct(item: Stripe.LineItem): Stripe.LineItem {
    const id = item.price?.product;
    const product = typeof id === 'string' ? store.product(id) : undefined;
    return product === undefined || item.price === null ? item : { ...item, price: { ...item.price, product } };
  }

  app.register(controlRoutes, { store, gate, webhooks, endpoints });
  app.register(hostedPageRoutes, { store, gate, webhooks });
  return { app, store, gate, webhooks, endpoints, url: () => baseUrl };
}

function account(req: FastifyRequest): string | undefined {
  const h = req.headers['stripe-account'];
  return typeof h === 'string' && h.length > 0 ? h : undefined;
}

function isLiveKey(req: FastifyRequest): boolean {
  return (req.headers.authorization ?? '').includes('_live_');
}

function lineItemsUrl(id: string): string {
  return `/v1/checkout/sessions/${id}/line_items`;
}

function page<T extends { id: string }>(all: readonly T[], limit: number, startingAfter: string | undefined, url: string) {
  let start = 0;
  if (startingAfter !== undefined) {
    const at = all.findIndex((x) => x.id === startingAfter);
    if (at < 0) return undefined;
    start = at + 1;
  }
  const data = all.slice(start, start + limit);
  return { object: 'list' as const, data, has_more: start + limit < all.length, url };
}

function parseLimit(raw: unknown): number | undefined {
  if (raw === undefined) return DEFAULT_PAGE;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : undefined;
}

function toArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'object' && v !== null) return Object.values(v).map(String);
  return typeof v === 'string' ? [v] : [];
}

/** `POST /v1/checkout/sessions` params: `line_items[n][price_data][…]` and `quantity`. */
function parseCreateParams(body: Record<string, unknown>, livemode: boolean): SessionSpec | string {
  const raw = toObjects(body.line_items);
  if (raw.length === 0) return 'line_items is required';
  const lineItems: LineItemSpec[] = [];
  for (const [i, item] of raw.entries()) {
    const pd = (item.price_data ?? {}) as Record<string, unknown>;
    const product = (pd.product_data ?? {}) as Record<string, unknown>;
    const unitAmount = Number(pd.unit_amount);
    const quantity = item.quantity === undefined ? 1 : Number(item.quantity);
    if (typeof pd.currency !== 'string' || !Number.isInteger(unitAmount) || unitAmount < 0) {
      return `line_items[${i}][price_data] needs currency and a non-negative integer unit_amount`;
    }
    if (!Number.isInteger(quantity) || quantity < 1) return `line_items[${i}][quantity] must be a positive integer`;
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
