import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { buildApp, type AppDeps } from '../api/app.js';
import { clientKey } from '../api/client-key.js';
import { ConnectionGuard, idleLimitMs } from '../lib/connection-guard.js';
import { proxyMatcher } from '../config/trust-proxy.js';
import type { StripeReadyConfig } from '../config/index.js';
import { connectDatabase, type Database } from '../db/client.js';
import { migrateDatabase, pendingMigrations } from '../db/migrate.js';
import { createLogger, prettyFor } from '../logger.js';
import { addQueueGauges, addSessionGauges } from '../observability/collectors.js';
import { createMetrics } from '../observability/metrics.js';
import { traceLogMixin } from '../observability/tracing.js';
import { createFulfillmentQueue, type FulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileQueue } from '../queue/reconcile-queue.js';
import { createAfterSaleQueue, type AfterSaleQueue } from '../queue/after-sale-queue.js';
import { createEffectsQueue } from '../queue/effects-queue.js';
import { createHistoryQueue } from '../queue/history-queue.js';
import { FinishedSignals } from '../queue/finished-signals.js';
import { createStripeClient } from '../stripe/client.js';
import { Closers, type RoleProcess } from './role-process.js';
import { openQueueBackend, type QueueBackend } from './queue-backend.js';
import { listenStep, postgresStep } from './start-failure.js';

/**
 * How long, while draining, a request may still be sending its body before its connection is closed. A 1 MB
 * webhook from Stripe arrives in a fraction of that; a stalled sender gets no more.
 */
const DRAIN_GRACE_MS = 1000;

export interface ApiProcess extends RoleProcess {
  readonly log: Logger;
  readonly app: FastifyInstance;
  readonly queue: FulfillmentQueue;
  /** Refund and dispute events' runs. */
  readonly afterSaleQueue: AfterSaleQueue;
  /** Where its queues are (QUEUE_BACKEND): a fail-fast producer's connection to Redis or Postgres. */
  readonly backend: QueueBackend;
  readonly database: Database;
  /** `http://host:port` once started. */
  url(): string;
}

/**
 * The api role: the one place its object graph is assembled from the frozen config. Used by
 * `npm run start:api`, `npm start` / `npm run demo` and the test stack, so they all run the same program.
 * To add a dependency of a route, create it here from `config`, pass it in `deps` and register its closer.
 */
export async function createApiProcess(config: StripeReadyConfig): Promise<ApiProcess> {
  const log = createLogger(config.logLevel, 'api', { pii: config.ops.logPii, pretty: prettyFor(config.nodeEnv), ...traceLogMixin() });
  const closers = new Closers();
  let started = false;

  const database = connectDatabase(config.databaseUrl, { max: config.databasePoolMax ?? 10 });
  closers.add('postgres', () => database.close());
  // An outage after start is a warning: webhooks answer 503 meanwhile, and Stripe retries them.
  // On Postgres each webhook is one insert: measured on the ingress bench, 20 connections took 50 concurrent webhooks faster than 10.
  const backend = openQueueBackend(config, { role: 'producer', log, started: () => started, poolMax: config.databasePoolMax ?? 20 });
  closers.add('queue backend', () => backend.close());
  const queue = createFulfillmentQueue(backend.bull, config.queue);
  queue.on('error', (err) => {
    if (started) log.warn({ err: err.message }, 'queue error');
  });
  // Opened at start, after the queue's store answered.
  const finished = new FinishedSignals(backend.signalSource());
  closers.add('landing signals', () => finished.close());
  const reconcileQueue = createReconcileQueue(backend.bull);
  const effectsQueue = createEffectsQueue(backend.bull);
  const afterSaleQueue = createAfterSaleQueue(backend.bull, config.queue);
  const historyQueue = createHistoryQueue(backend.bull);
  closers.add('queues', () => Promise.all([queue.close(), reconcileQueue.close(), effectsQueue.close(), afterSaleQueue.close(), historyQueue.close()]));

  // Verifies webhooks, serves the demo shop outside production and makes the order desk's refunds; never called on the webhook path.
  const stripe = createStripeClient({ secretKey: config.stripe.secretKey, apiBase: config.stripe.apiBase, maxNetworkRetries: config.stripe.maxNetworkRetries });
  const shop =
    config.nodeEnv === 'production'
      ? undefined
      : { stripe, publicUrl: config.landing.publicUrl, checkoutOrigin: config.stripe.apiBase?.origin ?? 'https://checkout.stripe.com' };
  const metrics = createMetrics('api');
  addQueueGauges(metrics.registry, queue);
  addSessionGauges(metrics.registry, database.sql);
  const admin = config.ops.admin;

  const deps: AppDeps = {
    log,
    queue,
    afterSaleQueue,
    db: database.db,
    sql: database.sql,
    webhooks: stripe.webhooks,
    stripe,
    webhookSecrets: config.stripe.webhookSecrets,
    livemode: config.stripe.livemode,
    trustProxy: config.http.trustProxy,
    limits: config.http.limits,
    ...(admin === undefined ? {} : { admin: { queues: [queue, afterSaleQueue, reconcileQueue, effectsQueue, historyQueue], username: admin.username, password: admin.password, readOnly: admin.readonly } }),
    metrics,
    readiness: { sql: database.sql, queue: backend.readiness, log, pendingMigrations },
    metricsToken: config.ops.metricsToken,
    landing: { ...config.landing, emailConfigured: config.effects.smtpUrl !== undefined },
    fleetLimits: backend.limits,
    finished,
    ...(shop === undefined ? {} : { shop }),
  };
  const app = await buildApp(deps);
  const refused = new Counter({
    name: 'fulfillment_http_connections_refused_total',
    help: 'Connections to the api destroyed because their client already held HTTP_MAX_CONNECTIONS_PER_CLIENT.',
    registers: [metrics.registry],
  });
  let lastRefusalLog = 0;
  const connections = new ConnectionGuard(app.server, {
    maxPerClient: config.http.maxConnectionsPerClient,
    exempt: proxyMatcher(config.http.trustProxy),
    clientOf: clientKey,
    idleLimitMs: idleLimitMs(config.http.limits),
    onRefused: (client) => {
      refused.inc();
      // One line per 10 s at most: a flood of refusals must not become a flood of log lines.
      if (Date.now() - lastRefusalLog < 10_000) return;
      lastRefusalLog = Date.now();
      log.warn({ client, max: config.http.maxConnectionsPerClient }, 'connection refused: client holds too many');
    },
  });
  let address = '';

  return {
    log,
    app,
    queue,
    afterSaleQueue,
    backend,
    database,
    url: () => address,
    async start() {
      await postgresStep(config.databaseUrl, () => migrateDatabase(config.databaseUrl, { bullmq: backend.migratesBullmq }));
      await backend.check();
      // Not fatal: without it a waiting landing page polls its job as it did before.
      await finished.subscribe().catch((err: unknown) => log.warn({ err }, 'landing signals off: waiting pages poll'));
      await listenStep('PORT', config.http.host, config.http.port, () => app.listen({ host: config.http.host, port: config.http.port }));
      const bound = app.server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : config.http.port;
      address = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
      started = true;
      log.info({ queueBackend: backend.kind, livemode: config.stripe.livemode, secrets: config.stripe.webhookSecrets.length, shop: shop !== undefined, pid: process.pid, port }, 'api listening');
      if (admin === undefined) log.info('Bull Board is off: set ADMIN_USERNAME and ADMIN_PASSWORD to serve it at /admin/queues');
      else log.info({ readOnly: admin.readonly }, 'Bull Board at /admin/queues, the order desk at /admin/orders');
    },
    async stop() {
      // Fastify's close stops accepting and lets in-flight requests finish. A kept-alive connection
      // whose request finishes after that would hold the close open until its keep-alive timeout:
      // close such connections as soon as they turn idle. A request whose body has not arrived within
      // DRAIN_GRACE_MS (a slow or stalled sender) is closed too, so that the drain ends within its deadline.
      const drain = () => {
        app.server.closeIdleConnections();
        const closed = connections.closeUnfinished(DRAIN_GRACE_MS);
        if (closed > 0) log.info({ closed }, 'closed connections with no complete request');
      };
      drain();
      const idle = setInterval(drain, 100);
      try {
        await app.close();
      } finally {
        clearInterval(idle);
      }
      await closers.closeAll((name, err) => log.warn({ err, resource: name }, 'close failed'));
    },
  };
}
