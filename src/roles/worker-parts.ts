import type { Logger } from 'pino';
import type { StripeReadyConfig } from '../config/index.js';
import { connectDatabase, type Database } from '../db/client.js';
import type { AnyDeliverer } from '../effects/deliverers.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { createEffectsQueue, enqueueTogether, type EffectsQueue } from '../queue/effects-queue.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { bullPrefix } from '../queue/contract.js';
import { openQueueBackend, type QueueBackend } from './queue-backend.js';
import { createFulfillmentQueue, type FulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createAfterSaleQueue } from '../queue/after-sale-queue.js';
import { createReconcileQueue } from '../queue/reconcile-queue.js';
import { createStripeClient } from '../stripe/client.js';
import { instrumentStripe } from '../stripe/instrument.js';
import { pacedHttpClient } from '../stripe/paced-http-client.js';
import { StripeRateBudget } from '../stripe/rate-budget.js';
import { sessionBatcher } from '../stripe/worker-batcher.js';
import { createWorker } from '../worker/create-worker.js';
import { pageSessions } from '../worker/page-sessions.js';
import { createReconcileWorker } from '../worker/reconcile-worker.js';
import { createAfterSaleWorker } from '../worker/after-sale-worker.js';
import { afterSaleSettings } from './after-sale-settings.js';
import type { EnqueueEffects } from '../worker/record-and-hand-off.js';
import { Closers } from './role-process.js';
import { logWorkerError } from '../observability/worker-error-log.js';
import { dbStatementHook } from '../observability/tracing.js';
import { historyWriter, type HistoryWriter } from '../db/order-history.js';
import { createHistoryQueue } from '../queue/history-queue.js';
import { createHistoryPruneWorker } from '../worker/history-prune-worker.js';

/** Code registered beside the configuration: more handlers and deliverers (tests use it; src/fulfillment/registry.ts is the merchant's place). */
export interface WorkerExtensions {
  readonly handlers?: readonly FulfillmentHandler[];
  readonly deliverers?: readonly AnyDeliverer[];
}

/** What the worker role's parts share: built first (connect), then the fulfillment workers and effect delivery. */
export interface Base {
  readonly config: StripeReadyConfig;
  readonly log: Logger;
  readonly closers: Closers;
  readonly database: Database;
  readonly backend: QueueBackend;
  readonly metrics: Metrics;
  readonly effectsQueue: EffectsQueue;
  readonly fulfillmentQueue: FulfillmentQueue;
  /** A run's committed effects travel in one job (one BullMQ job per session, not per effect). */
  readonly enqueue: EnqueueEffects;
  /** The order's story: runs, webhook events and effect attempts, batched (db/order-history.ts). */
  readonly history: HistoryWriter;
}

/** Postgres, the queue's backend (Redis or Postgres), the metrics registry and the queues this process adds jobs to. */
export function connect(config: StripeReadyConfig, log: Logger, started: () => boolean): Base {
  const closers = new Closers();
  const database = connectDatabase(config.databaseUrl, { max: config.databasePoolMax ?? Math.min(config.worker.concurrency, 20), ...dbStatementHook() });
  closers.add('postgres', () => database.close());
  // On Postgres: BullMQ's queries (short: 10 serve 25 runs), plus one LISTEN connection for each of the three workers.
  const poolMax = (config.databasePoolMax ?? Math.min(config.worker.concurrency, 10)) + 4;
  const backend = openQueueBackend(config, { role: 'worker', log, started, poolMax });
  closers.add('queue backend', () => backend.close());
  const fulfillmentQueue = createFulfillmentQueue(backend.bull, config.queue);
  const effectsQueue = createEffectsQueue(backend.bull);
  closers.add('queues', () => Promise.all([fulfillmentQueue.close(), effectsQueue.close()]));
  const enqueue = (effects: readonly { id: string; kind: string }[]) => enqueueTogether(effectsQueue, effects);
  const history = historyWriter(database.sql);
  return { config, log, closers, database, backend, metrics: createMetrics('worker'), effectsQueue, fulfillmentQueue, enqueue, history };
}

/** The fulfillment worker and reconciliation, and the Stripe client they share (paced by the fleet's budget). */
export function fulfillmentWorkers(base: Base, handlers: readonly FulfillmentHandler[]) {
  const { config, log, closers, database, backend, metrics, enqueue } = base;
  // Every Stripe request of every worker process shares one budget, kept in Redis or Postgres.
  const budget = new StripeRateBudget(backend.budget, { prefix: bullPrefix(config.queue.prefix), maxRps: config.stripe.maxRps, endpointMaxRps: config.stripe.endpointMaxRps });
  const afterSale = afterSaleSettings(config);
  const stripe = createStripeClient({
    secretKey: config.stripe.secretKey,
    apiBase: config.stripe.apiBase,
    maxNetworkRetries: config.stripe.maxNetworkRetries,
    httpClient: pacedHttpClient(budget),
  });
  instrumentStripe(stripe, metrics);
  const reconcileQueue = createReconcileQueue(backend.bull);
  closers.add('reconcile queue', () => reconcileQueue.close());
  // Reconciliation hands refunds and disputes whose webhooks were lost to after-sale runs.
  const afterSaleQueue = createAfterSaleQueue(backend.bull, config.queue);
  closers.add('after-sale queue', () => afterSaleQueue.close());
  const batcher =
    config.stripe.batchedReads === 'off'
      ? undefined
      : sessionBatcher(stripe, budget, config.stripe.batchedReads, pageSessions({ sql: database.sql, handlers, log, enqueueEffects: enqueue, afterSale }));
  // Closed after the workers (no batch starts any more), before the queues and Postgres its page records use.
  closers.add('page records', async () => batcher?.settle());
  const worker = createWorker({
    metrics,
    bull: backend.bull,
    announceFinished: backend.announceFinished,
    sql: database.sql,
    stripe,
    handlers,
    log,
    concurrency: config.worker.concurrency,
    lockDurationMs: config.worker.lockDurationMs,
    autorun: false,
    enqueueEffects: enqueue,
    afterSale,
    history: base.history,
    ...(batcher === undefined ? {} : { sessionBatcher: batcher }),
  });
  worker.on('error', logWorkerError(log, 'fulfillment', backend.link));
  // Reconciliation: scheduled every RECONCILE_INTERVAL, one run at a time across all worker processes.
  const reconcileWorker = createReconcileWorker({
    enqueueEffects: enqueue,
    afterSale,
    bull: backend.bull,
    stripe,
    sql: database.sql,
    fulfillmentQueue: base.fulfillmentQueue,
    afterSaleQueue,
    handlers,
    log,
    metrics,
    autorun: false,
  });
  reconcileWorker.on('error', logWorkerError(log, 'reconcile', backend.link));
  // Refunds and disputes (issue 19): the same Stripe client and budget, the same handlers.
  const afterSaleWorker = createAfterSaleWorker({
    bull: backend.bull,
    sql: database.sql,
    stripe,
    handlers,
    settings: afterSale,
    metrics,
    fulfillmentQueue: base.fulfillmentQueue,
    log,
    concurrency: Math.max(1, Math.ceil(config.worker.concurrency / 5)),
    lockDurationMs: config.worker.lockDurationMs,
    autorun: false,
    enqueueEffects: enqueue,
  });
  afterSaleWorker.on('error', logWorkerError(log, 'after-sale', backend.link));
  // The order history's upkeep: pruned by a scheduled job (ORDER_HISTORY_DAYS).
  const historyQueue = createHistoryQueue(backend.bull);
  closers.add('history queue', () => historyQueue.close());
  const pruneWorker = createHistoryPruneWorker({ bull: backend.bull, sql: database.sql, log, autorun: false });
  pruneWorker.on('error', logWorkerError(log, 'order-history', backend.link));
  return { worker, reconcileWorker, reconcileQueue, afterSaleWorker, historyQueue, pruneWorker };
}

