import { loadConfigOrExit, onShutdown } from '../boot.js';
import { connectDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { fulfillmentHandlers } from '../fulfillment/registry.js';
import { createLogger } from '../logger.js';
import { workerConnection } from '../queue/redis.js';
import { bullPrefix } from '../queue/contract.js';
import { createStripeClient } from '../stripe/client.js';
import { pacedHttpClient } from '../stripe/paced-http-client.js';
import { StripeRateBudget } from '../stripe/rate-budget.js';
import { createMetrics } from '../observability/metrics.js';
import { instrumentStripe } from '../stripe/instrument.js';
import { createFulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileQueue, scheduleReconcile } from '../queue/reconcile-queue.js';
import { createWorker } from './create-worker.js';
import { createReconcileWorker } from './reconcile-worker.js';
import { buildWorkerHttp } from './http.js';

const config = loadConfigOrExit(process.env, { stripe: true });
const log = createLogger(config.logLevel, 'worker', { pii: config.ops.logPii });

await migrateDatabase(config.databaseUrl);
const database = connectDatabase(config.databaseUrl, { max: Math.min(config.worker.concurrency, 20) });
const connection = workerConnection(config.redisUrl);
// Every Stripe request of every worker process shares one budget, kept in Redis.
const budget = new StripeRateBudget(connection, { prefix: bullPrefix(config.queue.prefix), maxRps: config.stripe.maxRps, endpointMaxRps: config.stripe.endpointMaxRps });
const stripe = createStripeClient({
  secretKey: config.stripe.secretKey,
  apiBase: config.stripe.apiBase,
  maxNetworkRetries: config.stripe.maxNetworkRetries,
  httpClient: pacedHttpClient(budget),
});
const metrics = createMetrics('worker');
instrumentStripe(stripe, metrics);
const worker = createWorker({
  metrics,
  connection,
  sql: database.sql,
  stripe,
  handlers: fulfillmentHandlers(config.effects),
  log,
  prefix: config.queue.prefix,
  concurrency: config.worker.concurrency,
  lockDurationMs: config.worker.lockDurationMs,
});
worker.on('error', (err) => log.error({ err }, 'worker error'));

// Reconciliation: scheduled every RECONCILE_INTERVAL, one run at a time across all worker processes.
const fulfillmentQueue = createFulfillmentQueue(connection, config.queue);
const reconcileQueue = createReconcileQueue(connection, config.queue.prefix);
if (config.reconcile.intervalMs > 0) await scheduleReconcile(reconcileQueue, config.reconcile.intervalMs, config.reconcile.lookbackMs);
const reconcileWorker = createReconcileWorker({ connection, prefix: config.queue.prefix, stripe, sql: database.sql, fulfillmentQueue, log, metrics });
reconcileWorker.on('error', (err) => log.error({ err }, 'reconcile worker error'));
const http = config.ops.workerHttpPort === undefined ? undefined : await buildWorkerHttp({ readiness: { sql: database.sql, redis: connection }, registry: metrics.registry, metricsToken: config.ops.metricsToken });
if (http !== undefined) await http.listen({ host: config.http.host, port: config.ops.workerHttpPort ?? 0 });
log.info({ concurrency: config.worker.concurrency, prefix: config.queue.prefix, pid: process.pid, httpPort: config.ops.workerHttpPort }, 'worker started');

// Graceful stop: stop taking jobs, let active ones finish, then close connections.
onShutdown(log, config.worker.shutdownTimeoutMs, async () => {
  await Promise.all([worker.close(), reconcileWorker.close()]);
  await Promise.all([fulfillmentQueue.close(), reconcileQueue.close()]);
  await http?.close();
  await connection.quit();
  await database.close();
});

