import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StripeReadyConfig } from '../config.js';
import { connectDatabase, type Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { deliverersFromConfig, offKinds, type AnyDeliverer } from '../effects/deliverers.js';
import { createEffectDispatcher, type EffectDispatcher } from '../effects/dispatcher.js';
import { addEffectGauges, createEffectMetrics } from '../effects/effect-metrics.js';
import { ordersFirstGate } from '../effects/orders-first-gate.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { fulfillmentDeliverers, fulfillmentHandlers } from '../fulfillment/registry.js';
import { createEffectsQueue, enqueueTogether } from '../queue/effects-queue.js';
import { createLogger, prettyFor } from '../logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { bullPrefix } from '../queue/contract.js';
import { createFulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileQueue, scheduleReconcile } from '../queue/reconcile-queue.js';
import { workerConnection } from '../queue/redis.js';
import { createStripeClient } from '../stripe/client.js';
import { instrumentStripe } from '../stripe/instrument.js';
import { pacedHttpClient } from '../stripe/paced-http-client.js';
import { StripeRateBudget } from '../stripe/rate-budget.js';
import { sessionBatcher } from '../stripe/worker-batcher.js';
import { createWorker, type FulfillmentWorker } from '../worker/create-worker.js';
import { pageSessions } from '../worker/page-sessions.js';
import { buildWorkerHttp } from '../worker/http.js';
import { createReconcileWorker } from '../worker/reconcile-worker.js';
import { Closers, type RoleProcess } from './role-process.js';
import { listenStep, postgresStep, redisStep } from './start-failure.js';
import { logWorkerError } from '../observability/worker-error-log.js';

export interface WorkerProcess extends RoleProcess {
  readonly log: Logger;
  /** Takes fulfillment jobs once started. */
  readonly worker: FulfillmentWorker;
  readonly redis: Redis;
  readonly database: Database;
  readonly metrics: Metrics;
  /** Delivers committed outbox effects (receipt emails, callbacks, ...). */
  readonly dispatcher: EffectDispatcher;
  /** The WORKER_HTTP_PORT server (/healthz, /readyz, /metrics) once started; undefined when not configured. */
  http(): FastifyInstance | undefined;
}

/**
 * The worker role: the one place its object graph is assembled from the frozen config. Used by
 * `npm run start:worker`, `npm start` / `npm run demo` and the test stack. Building takes no job;
 * `start` migrates, checks Postgres and Redis, then runs. To add a part (e.g. an effect dispatcher):
 * create it here from `config`, run it in `start`, and register its closer in the right place.
 */
/** Code registered beside the configuration: more handlers and deliverers (tests use it; src/fulfillment/registry.ts is the merchant's place). */
export interface WorkerExtensions {
  readonly handlers?: readonly FulfillmentHandler[];
  readonly deliverers?: readonly AnyDeliverer[];
}

export function createWorkerProcess(config: StripeReadyConfig, extensions: WorkerExtensions = {}): WorkerProcess {
  const log = createLogger(config.logLevel, 'worker', { pii: config.ops.logPii, pretty: prettyFor(config.nodeEnv) });
  const closers = new Closers();
  let started = false;

  const database = connectDatabase(config.databaseUrl, { max: config.databasePoolMax ?? Math.min(config.worker.concurrency, 20) });
  closers.add('postgres', () => database.close());
  const redis = workerConnection(config.redisUrl);
  redis.on('error', (err) => {
    if (started) log.warn({ err: err.message }, 'redis connection error');
  });
  closers.add('redis', () => redis.quit().catch(() => redis.disconnect()));

  // Every Stripe request of every worker process shares one budget, kept in Redis.
  const budget = new StripeRateBudget(redis, { prefix: bullPrefix(config.queue.prefix), maxRps: config.stripe.maxRps, endpointMaxRps: config.stripe.endpointMaxRps });
  const stripe = createStripeClient({
    secretKey: config.stripe.secretKey,
    apiBase: config.stripe.apiBase,
    maxNetworkRetries: config.stripe.maxNetworkRetries,
    httpClient: pacedHttpClient(budget),
  });
  const metrics = createMetrics('worker');
  instrumentStripe(stripe, metrics);

  const fulfillmentQueue = createFulfillmentQueue(redis, config.queue);
  const reconcileQueue = createReconcileQueue(redis, config.queue.prefix);
  const effectsQueue = createEffectsQueue(redis, config.queue.prefix);
  closers.add('queues', () => Promise.all([fulfillmentQueue.close(), reconcileQueue.close(), effectsQueue.close()]));
  const handlers = [...fulfillmentHandlers(config.effects), ...(extensions.handlers ?? [])];
  // A run's committed effects travel in one job (one BullMQ job per session, not per effect).
  const enqueue = (effects: readonly { id: string; kind: string }[]) => enqueueTogether(effectsQueue, effects);
  const batcher =
    config.stripe.batchedReads === 'off'
      ? undefined
      : sessionBatcher(stripe, budget, config.stripe.batchedReads, pageSessions({ sql: database.sql, handlers, log, enqueueEffects: enqueue }));
  // Closed after the workers (no batch starts any more), before the queues and Postgres its page records use.
  closers.add('page records', async () => batcher?.settle());
  const worker = createWorker({
    metrics,
    connection: redis,
    sql: database.sql,
    stripe,
    handlers,
    log,
    prefix: config.queue.prefix,
    concurrency: config.worker.concurrency,
    lockDurationMs: config.worker.lockDurationMs,
    autorun: false,
    enqueueEffects: enqueue,
    ...(batcher === undefined ? {} : { sessionBatcher: batcher }),
  });
  worker.on('error', logWorkerError(log, 'fulfillment', redis));
  // The outbox dispatcher: each effect kind goes to the deliverer configured for it (none: the kind is off).
  const deliverers = deliverersFromConfig(config.effects, {
    log,
    publicUrl: config.landing.publicUrl,
    attemptTimeoutMs: config.effects.attemptTimeoutMs,
    extra: [...fulfillmentDeliverers(), ...(extensions.deliverers ?? [])],
  });
  addEffectGauges(metrics.registry, database.sql);
  const effectMetrics = createEffectMetrics(metrics.registry);
  const dispatcher = createEffectDispatcher({
    // Asked only once jobs run, after the gate below exists.
    admit: () => ordersFirst.admit(),
    sql: database.sql,
    connection: redis,
    queue: effectsQueue,
    prefix: config.queue.prefix,
    deliverers,
    log,
    metrics: effectMetrics,
    backoff: { baseMs: config.effects.backoffMs, horizonMs: config.effects.retryHorizonMs },
    attemptTimeoutMs: config.effects.attemptTimeoutMs,
    concurrency: config.effects.concurrency,
  });
  // Orders first: while runs wait and this process has no CPU to spare, its effects trail (orders-first-gate.ts).
  const ordersFirst = ordersFirstGate({
    worker: dispatcher.worker,
    full: config.effects.concurrency,
    fulfillmentWaiting: () => fulfillmentQueue.getJobCountByTypes('wait', 'prioritized'),
    log,
    held: (on) => effectMetrics.heldBack.set(on ? 1 : 0),
  });
  // Reconciliation: scheduled every RECONCILE_INTERVAL, one run at a time across all worker processes.
  const reconcileWorker = createReconcileWorker({
    enqueueEffects: enqueue,
    connection: redis,
    prefix: config.queue.prefix,
    stripe,
    sql: database.sql,
    fulfillmentQueue,
    handlers,
    log,
    metrics,
    autorun: false,
  });
  reconcileWorker.on('error', logWorkerError(log, 'reconcile', redis));
  // Graceful stop: stop taking jobs and let the active ones finish before anything they use closes.
  closers.add('workers', () => {
    // Let go first: a job waiting at the gate must be able to finish while the worker closes.
    ordersFirst.stop();
    return Promise.all([worker.close(), reconcileWorker.close(), dispatcher.close()]);
  });

  let http: FastifyInstance | undefined;
  const run = (w: { run(): Promise<unknown> }, name: string) => void w.run().catch((err: unknown) => log.error({ err, worker: name }, 'worker stopped running'));

  return {
    log,
    worker,
    redis,
    database,
    metrics,
    dispatcher,
    http: () => http,
    async start() {
      await postgresStep(config.databaseUrl, () => migrateDatabase(config.databaseUrl));
      await redisStep(redis, config.redisUrl);
      if (config.reconcile.intervalMs > 0) await scheduleReconcile(reconcileQueue, config.reconcile.intervalMs, config.reconcile.lookbackMs);
      const httpPort = config.ops.workerHttpPort;
      if (httpPort !== undefined) {
        const server = await buildWorkerHttp({ readiness: { sql: database.sql, redis, log }, registry: metrics.registry, metricsToken: config.ops.metricsToken });
        closers.add('http', () => server.close());
        http = server;
        await listenStep('WORKER_HTTP_PORT', config.http.host, httpPort, () => server.listen({ host: config.http.host, port: httpPort }));
      }
      run(worker, 'fulfillment');
      run(reconcileWorker, 'reconcile');
      dispatcher.start();
      ordersFirst.start();
      started = true;
      // Said before "worker started", which is what operators and tests wait for.
      for (const [kind, why] of Object.entries(offKinds(config.effects, deliverers))) log.warn({ kind }, `effect kind off: ${why}`);
      log.info({ kinds: [...deliverers.keys()] }, 'effect kinds on');
      log.info({ concurrency: config.worker.concurrency, prefix: config.queue.prefix, pid: process.pid, httpPort }, 'worker started');
    },
    async stop() {
      await closers.closeAll((name, err) => log.warn({ err, resource: name }, 'close failed'));
    },
  };
}
