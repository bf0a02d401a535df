import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import qs from 'qs';
import { DEFAULT_LISTENER_LIMITS, guardIdle, listenerOptions, type ListenerLimits } from '../lib/listener-limits.js';
import { afterSaleControlRoutes } from './after-sale-control-routes.js';
import { controlPageRoutes } from './control-page.js';
import { controlRoutes } from './control-routes.js';
import { DisputeBook } from './dispute-book.js';
import { disputeRoutes } from './dispute-routes.js';
import { hostedPageRoutes } from './hosted-page.js';
import { DEFAULT_KNOBS, type Knobs } from './knobs.js';
import { ParamError } from './list-params.js';
import { paymentIntentRoutes } from './payment-intent-routes.js';
import { productRoutes } from './product-routes.js';
import { RefundBook } from './refund-book.js';
import { refundRoutes } from './refund-routes.js';
import { accountOf, isLiveKey, sessionRoutes } from './session-routes.js';
import { EmulatorStore, InvalidState, NotFound } from './store.js';
import { rateLimited, stripeError, StripeRequestError } from './stripe-error.js';
import { TrafficGate } from './traffic-gate.js';
import { WebhookSender } from './webhook-sender.js';

export interface EmulatorOptions {
  readonly webhookSecrets: readonly string[];
  /** Where signed events go (the service's `/webhook`); more can be added at run time. */
  readonly webhookEndpoints?: readonly string[];
  readonly knobs?: Partial<Knobs>;
  readonly webhookRetryBaseMs?: number;
  readonly webhookMaxAttempts?: number;
  /** The rate limiter's clock (tests hold it still); defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Header, request and keep-alive timeouts, as on every listener; the defaults when not given. */
  readonly limits?: ListenerLimits;
}

export interface Emulator {
  readonly app: FastifyInstance;
  readonly store: EmulatorStore;
  /** Refunds, and the Charges as they stand with them. */
  readonly refunds: RefundBook;
  readonly disputes: DisputeBook;
  readonly gate: TrafficGate;
  readonly webhooks: WebhookSender;
  readonly endpoints: string[];
  /** Base URL once listening, e.g. http://127.0.0.1:12111 (what STRIPE_API_BASE points at). */
  url(): string;
}

const API_KEY = /^Bearer ((sk|rk)_(test|live)_[A-Za-z0-9_]+)$/;

/**
 * A local stand-in for the parts of Stripe's API the service uses, with Stripe's object shapes, list
 * pagination and error format, plus webhooks and fault knobs. The real SDK talks to it over HTTP.
 */
export function createEmulator(opts: EmulatorOptions): Emulator {
  const limits = opts.limits ?? DEFAULT_LISTENER_LIMITS;
  const app = Fastify({ logger: false, ...listenerOptions(limits), routerOptions: { querystringParser: (s) => qs.parse(s) as Record<string, unknown> } });
  guardIdle(app.server, limits);
  let baseUrl = '';
  const store = new EmulatorStore(() => baseUrl);
  const gate = new TrafficGate({ ...DEFAULT_KNOBS, ...opts.knobs }, opts.clock);
  const disputes = new DisputeBook(store);
  const refunds = new RefundBook(store, disputes, () => gate.knobs.refundStatus);
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
      const fate = gate.admit(endpoint, { account: accountOf(req), livemode: isLiveKey(req) });
      if (fate === 'rate_limited') return rateLimited(reply);
      if (fate === 'server_error') return reply.code(500).send(stripeError('api_error', 'An unknown error occurred'));
      if (fate === 'reset') {
        // No answer at all: Fastify lets go of the reply and the socket is torn down with a TCP RST.
        reply.hijack();
        req.raw.socket.resetAndDestroy();
        return reply;
      }
      reply.header('request-id', `req_${Date.now().toString(36)}`);
    });
    // Latency is added after the handler has read the state, as on the wire back from Stripe: a run
    // that is waiting on a response really holds a stale view of the session.
    api.addHook('onSend', async () => {
      if (gate.knobs.latencyMs > 0) await sleep(gate.knobs.latencyMs);
    });
    api.setErrorHandler((err, _req, reply) => {
      if (err instanceof NotFound) return reply.code(404).send(stripeError('invalid_request_error', err.message, { code: 'resource_missing', param: err.param }));
      if (err instanceof StripeRequestError) return reply.code(err.status).send(stripeError(err.type, err.message, err.extra));
      if (err instanceof ParamError) return reply.code(400).send(stripeError('invalid_request_error', err.message, { param: err.param }));
      if (err instanceof InvalidState) return reply.code(400).send(stripeError('invalid_request_error', err.message));
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status).send(stripeError(status >= 500 ? 'api_error' : 'invalid_request_error', (err as Error).message));
    });

    await api.register(sessionRoutes, { store });
    await api.register(productRoutes, { store });
    await api.register(paymentIntentRoutes, { store });
    await api.register(refundRoutes, { refunds, webhooks });
    await api.register(disputeRoutes, { disputes });
  });

  app.register(controlRoutes, { store, gate, webhooks, endpoints });
  app.register(afterSaleControlRoutes, { store, refunds, disputes, webhooks });
  app.register(controlPageRoutes, { store, refunds, disputes });
  app.register(hostedPageRoutes, { store, gate, webhooks });
  return { app, store, refunds, disputes, gate, webhooks, endpoints, url: () => baseUrl };
}

