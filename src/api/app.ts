import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Config } from '../config/index.js';
import type { Db } from '../db/client.js';
import type postgres from 'postgres';
import rateLimit from '@fastify/rate-limit';
import type { FinishedSignals } from '../queue/finished-signals.js';
import type { FulfillmentQueue } from '../queue/fulfillment-queue.js';
import type { AfterSaleQueue } from '../queue/after-sale-queue.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessDeps } from '../observability/readiness.js';
import { clientKey } from './client-key.js';
import type { FleetLimits } from './fleet-limits.js';
import { LandingGuard } from './landing-guard.js';
import { DEFAULT_LISTENER_LIMITS, listenerOptions, type ListenerLimits } from '../lib/listener-limits.js';
import type { TrustProxy } from '../config/trust-proxy.js';
import { bullBoard, type BullBoardOptions } from './plugins/bull-board.js';
import { pageSecurity } from './plugins/page-security.js';
import { requestId } from './request-id.js';
import { opsRoutes } from '../observability/ops-routes.js';
import { checkoutSessionRoutes } from './routes/checkout-sessions.js';
import { landingRoutes } from './routes/landing.js';
import { orderDesk } from './routes/order-desk.js';
import { shopRoutes } from './routes/shop.js';
import { webhookRoutes } from './routes/webhook.js';

export interface AppDeps {
  readonly log: FastifyBaseLogger;
  readonly queue: FulfillmentQueue;
  /** Refund and dispute events go here (issue 19). */
  readonly afterSaleQueue: AfterSaleQueue;
  readonly db: Db;
  /** The same database for the order desk's reads and actions (postgres.js, as the run's statements). */
  readonly sql: postgres.Sql;
  /** Only the webhook verifier is used: the api never calls the Stripe API. */
  readonly webhooks: Stripe['webhooks'];
  readonly webhookSecrets: readonly string[];
  readonly livemode: boolean;
  readonly enqueueTimeoutMs?: number;
  /** Behind a load balancer the client IP comes from X-Forwarded-For: say whose to believe (never everyone). */
  readonly trustProxy?: TrustProxy;
  /** Header, request and keep-alive timeouts; the defaults when not given. */
  readonly limits?: ListenerLimits;
  /** The customer's landing page (the Checkout success URL). */
  readonly landing: Config['landing'] & {
    /** Whether the receipt email effect is configured (SMTP_URL): pages promise email only then. */
    readonly emailConfigured: boolean;
  };
  /** Fleet-wide landing caps and memories and the operator login lockout, on the queue's backend. */
  readonly fleetLimits: FleetLimits;
  /** Workers' announcements of finished landing runs; without them a waiting page polls. */
  readonly finished?: FinishedSignals;
  readonly metrics: Metrics;
  /** Postgres and the queue's backend for `/readyz`. */
  readonly readiness: ReadinessDeps;
  readonly metricsToken?: string | undefined;
  /** Bull Board at /admin/queues and the order desk at /admin/orders; both off (404) when not given. */
  readonly admin?: BullBoardOptions;
  /** The api's Stripe client: the order desk's refunds are created with it. */
  readonly stripe: Stripe;
  /** The demo shop; only given outside production. */
  readonly shop?: { readonly stripe: Stripe; readonly publicUrl: string; readonly checkoutOrigin: string };
}

/**
 * How long "Stripe does not know this id" is remembered. Short: it only has to outlast a burst of
 * guesses or reloads, and an id Stripe does not know now will not appear later (ids are never reused).
 */
const LANDING_MISSING_TTL_MS = 10 * 60_000;

/** Builds the api; never listens. `server.ts` owns the port, signals and closing connections. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    // One log line per webhook is written by the route itself, with its ids as fields.
    logController: new LogController({ disableRequestLogging: true }),
    // Never the caller's x-request-id: see `requestId`.
    requestIdHeader: false,
    genReqId: requestId,
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    ...listenerOptions(deps.limits ?? DEFAULT_LISTENER_LIMITS),
    bodyLimit: 1024 * 1024,
    // While closing, a request that reached us on a kept-alive connection is still served normally
    // (and its connection then closed), rather than answered 503: fewer retries from Stripe on deploys.
    return503OnClosing: false,
  });

  // Before any other hook, so that every answer carries it, refusals included. A callback hook: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: 'internal_error', message: 'something went wrong; it was logged' });
    }
    return reply.code(status).send({ error: errorName(err, status), message: err.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));
  // Per client IP, opted into by the routes that people (not Stripe) hit. In memory: each api process
  // counts for itself, which is enough to stop a reload storm from one browser.
  await app.register(rateLimit, {
    global: false,
    // As the landing caps and the login lockout count: an IPv6 client is its /64, not each of its 2^64 addresses.
    keyGenerator: (request) => clientKey(request.ip),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });

  await app.register(webhookRoutes, {
    webhooks: deps.webhooks,
    secrets: deps.webhookSecrets,
    livemode: deps.livemode,
    queue: deps.queue,
    afterSaleQueue: deps.afterSaleQueue,
    enqueueTimeoutMs: deps.enqueueTimeoutMs ?? 1000,
    metrics: deps.metrics,
  });
  if (deps.admin !== undefined) {
    const operatorSite = { limits: deps.fleetLimits, keyPrefix: deps.queue.opts.prefix ?? 'bull', https: deps.landing.publicUrl.startsWith('https:') };
    await app.register(bullBoard, { ...deps.admin, ...operatorSite });
    const { username, password, readOnly } = deps.admin;
    await app.register(orderDesk, { ...operatorSite, sql: deps.sql, queue: deps.queue, stripe: deps.stripe, username, password, readOnly, livemode: deps.livemode });
  }
  await app.register(opsRoutes, { readiness: deps.readiness, registry: deps.metrics.registry, metricsToken: deps.metricsToken });
  await app.register(checkoutSessionRoutes, { db: deps.db, rateLimitPerMinute: deps.landing.rateLimitPerMinute });
  const shop = deps.shop;
  await app.register(async (pages) => {
    await pages.register(pageSecurity, {
      checkoutOrigins: shop === undefined ? [] : [shop.checkoutOrigin],
      https: deps.landing.publicUrl.startsWith('https:'),
    });
    await pages.register(landingRoutes, {
      db: deps.db,
      queue: deps.queue,
      guard: new LandingGuard(deps.fleetLimits, {
        prefix: deps.queue.opts.prefix ?? 'bull',
        lookupsPerSecond: deps.landing.lookupsPerSecond,
        lookupsPerClientPerMinute: deps.landing.lookupsPerClientPerMinute,
        recheckMs: deps.landing.recheckMs,
        missingTtlMs: LANDING_MISSING_TTL_MS,
      }),
      livemode: deps.livemode,
      waitMs: deps.landing.waitMs,
      finished: deps.finished,
      rateLimitPerMinute: deps.landing.rateLimitPerMinute,
      secretWindowMs: deps.landing.secretWindowMs,
      emailConfigured: deps.landing.emailConfigured,
      demoMailboxUrl: deps.landing.demoMailboxUrl,
    });
    if (shop !== undefined) await pages.register(shopRoutes, { stripe: shop.stripe, publicUrl: shop.publicUrl });
  });
  return app;
}

/** Fastify's spelling: a hop count as proxy-addr's function of the hop, a list as a mutable copy. */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust === false ? false : [...trust];
}

function errorName(err: FastifyError, status: number): string {
  if (err.validation !== undefined) return 'bad_request';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'rate_limited';
  return 'bad_request';
}
