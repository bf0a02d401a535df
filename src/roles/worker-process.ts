import type { FastifyInstance } from 'fastify';
import type { QueueBackend } from './queue-backend.js';
import type { Logger } from 'pino';
import type { StripeReadyConfig } from '../config/index.js';
import { type Database } from '../db/client.js';
import { migrateDatabase, pendingMigrations } from '../db/migrate.js';
import { offKinds } from '../effects/deliverers.js';
import { type EffectDispatcher } from '../effects/dispatcher.js';
import { fulfillmentHandlers } from '../fulfillment/registry.js';
import { createLogger, prettyFor } from '../logger.js';
import { type Metrics } from '../observability/metrics.js';
import { traceLogMixin } from '../observability/tracing.js';
import { scheduleReconcile } from '../queue/reconcile-queue.js';
import { schedulePrune } from '../queue/history-queue.js';
import { type FulfillmentWorker } from '../worker/create-worker.js';
import { buildWorkerHttp } from '../worker/http.js';
import { type RoleProcess } from './role-process.js';
import { listenStep, postgresStep } from './start-failure.js';

import { connect, fulfillmentWorkers, type WorkerExtensions } from './worker-parts.js';

export type { WorkerExtensions } from './worker-parts.js';
import { effectDelivery } from './worker-effects.js';
export interface WorkerProcess extends RoleProcess {
  readonly log: Logger;
  /** Takes fulfillment jobs once started. */
  readonly worker: FulfillmentWorker;
  /** Where its queues are (QUEUE_BACKEND). */
  readonly backend: QueueBackend;
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
 * `start` migrates, checks Postgres and Redis, then runs. The graph is built part by part below (connections
 * and queues, then the fulfillment workers, then effect delivery); to add a part, build it in its own function,
 * run it in `start`, and register its closer where it belongs (closers run in reverse order of registration).
 */
export function createWorkerProcess(config: StripeReadyConfig, extensions: WorkerExtensions = {}): WorkerProcess {
  const log = createLogger(config.logLevel, 'worker', { pii: config.ops.logPii, pretty: prettyFor(config.nodeEnv), ...traceLogMixin() });
  let started = false;
  const base = connect(config, log, () => started);
  const handlers = [...fulfillmentHandlers(config.effects), ...(extensions.handlers ?? [])];
  const runs = fulfillmentWorkers(base, handlers);
  const effects = effectDelivery(base, extensions);
  // Graceful stop: stop taking jobs and let the active ones finish before anything they use closes.
  base.closers.add('workers', () => {
    // Let go first: a job waiting at the gate must be able to finish while the worker closes.
    effects.ordersFirst.stop();
    return Promise.all([runs.worker.close(), runs.reconcileWorker.close(), runs.afterSaleWorker.close(), runs.pruneWorker.close(), effects.dispatcher.close()]);
  });

  const { database, backend, metrics, closers } = base;
  let http: FastifyInstance | undefined;
  const run = (w: { run(): Promise<unknown> }, name: string) => void w.run().catch((err: unknown) => log.error({ err, worker: name }, 'worker stopped running'));
  return {
    log,
    worker: runs.worker,
    backend,
    database,
    metrics,
    dispatcher: effects.dispatcher,
    http: () => http,
    async start() {
      // BullMQ's schema with ours when the queues are in Postgres: before any worker runs.
      await postgresStep(config.databaseUrl, () => migrateDatabase(config.databaseUrl, { bullmq: backend.migratesBullmq }));
      await backend.check();
      if (config.reconcile.intervalMs > 0) await scheduleReconcile(runs.reconcileQueue, config.reconcile.intervalMs, config.reconcile.lookbackMs);
      await schedulePrune(runs.historyQueue, config.ops.historyDays);
      const httpPort = config.ops.workerHttpPort;
      if (httpPort !== undefined) {
        const server = await buildWorkerHttp({ readiness: { sql: database.sql, queue: backend.readiness, log, pendingMigrations }, registry: metrics.registry, metricsToken: config.ops.metricsToken, limits: config.http.limits });
        closers.add('http', () => server.close());
        http = server;
        await listenStep('WORKER_HTTP_PORT', config.http.host, httpPort, () => server.listen({ host: config.http.host, port: httpPort }));
      }
      run(runs.worker, 'fulfillment');
      run(runs.reconcileWorker, 'reconcile');
      run(runs.afterSaleWorker, 'after-sale');
      run(runs.pruneWorker, 'order-history');
      effects.dispatcher.start();
      effects.ordersFirst.start();
      started = true;
      // Said before "worker started", which is what operators and tests wait for.
      for (const [kind, why] of Object.entries(offKinds(config.effects, effects.deliverers))) log.warn({ kind }, `effect kind off: ${why}`);
      log.info({ kinds: [...effects.deliverers.keys()] }, 'effect kinds on');
      log.info({ queueBackend: backend.kind, concurrency: config.worker.concurrency, prefix: config.queue.prefix, pid: process.pid, httpPort }, 'worker started');
    },
    async stop() {
      await closers.closeAll((name, err) => log.warn({ err, resource: name }, 'close failed'));
    },
  };
}

