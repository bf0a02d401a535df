import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type Stripe from 'stripe';
import { buildApp } from '../../src/api/app.js';
import { fulfillmentHandlers } from '../../src/fulfillment/registry.js';
import type { Emulator } from '../../src/emulator/server.js';
import { startEmulator } from '../../src/emulator/start.js';
import { createFulfillmentQueue, type FulfillmentQueue } from '../../src/queue/fulfillment-queue.js';
import { createReconcileQueue } from '../../src/queue/reconcile-queue.js';
import { producerConnection, workerConnection } from '../../src/queue/redis.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { createWorker, type FulfillmentWorker } from '../../src/worker/create-worker.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { freePort } from './ports.js';
import { addQueueGauges, addSessionGauges } from '../../src/observability/collectors.js';
import { createMetrics } from '../../src/observability/metrics.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SECRET_KEY = 'sk_test_emulator';
export const WEBHOOK_SECRET = 'whsec_test_primary_0123456789abcdef';
export const OLD_WEBHOOK_SECRET = 'whsec_test_previous_0123456789abcdef';
export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface Stack {
  readonly db: TestDatabase;
  readonly emulator: Emulator;
  readonly stripe: Stripe;
  readonly prefix: string;
  readonly producer: Redis;
  readonly queue: FulfillmentQueue;
  readonly api: FastifyInstance;
  readonly apiUrl: string;
  readonly workers: FulfillmentWorker[];
  /** Starts an in-process worker on this stack's queue. */
  startWorker(opts?: { concurrency?: number; lockDurationMs?: number }): FulfillmentWorker;
  /** Environment for a worker or api *process* on this stack. */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly emulatorLatencyMs?: number;
  readonly webhookSecrets?: readonly string[];
  /** Secrets the api accepts; defaults to the primary one. */
  readonly acceptedSecrets?: readonly string[];
  readonly workers?: number;
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly landingWaitMs?: number;
  readonly metricsToken?: string;
  readonly trustProxy?: boolean;
  /** Serve Bull Board with these credentials. */
  readonly admin?: { username: string; password: string; readOnly?: boolean };
  readonly rateLimitPerMinute?: number;
  /** Landing-page caps and page settings (LANDING_*, ORDER_PAGE_SECRET_WINDOW, whether email is on). */
  readonly landing?: {
    readonly lookupsPerSecond?: number;
    readonly lookupsPerClientPerMinute?: number;
    readonly recheckMs?: number;
    readonly secretWindowMs?: number;
    readonly emailConfigured?: boolean;
  };
  /** A Redis of the test's own (the outage test stops it); defaults to the machine's. */
  readonly redisUrl?: string;
}

/** The real thing, wired on loopback: emulator, api on a real port, Redis, a fresh database and queue prefix. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const db = await freshDatabase();
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const emulator = await startEmulator({
    webhookSecrets: opts.webhookSecrets ?? [WEBHOOK_SECRET],
    knobs: { latencyMs: opts.emulatorLatencyMs ?? 0 },
    webhookRetryBaseMs: 100,
  });
  const stripe = createStripeClient({ secretKey: SECRET_KEY, apiBase: new URL(emulator.url()), maxNetworkRetries: 2 });
  const redisUrl = opts.redisUrl ?? REDIS_URL;
  const producer = producerConnection(redisUrl);
  producer.on('error', () => undefined);
  const queueSettings = { prefix, attempts: opts.attempts ?? 8, backoffMs: opts.backoffMs ?? 50 };
  const queue = createFulfillmentQueue(producer, queueSettings);
  await queue.waitUntilReady();
  const reconcileQueue = createReconcileQueue(producer, prefix);
  const apiMetrics = createMetrics('api');
  addQueueGauges(apiMetrics.registry, queue);
  addSessionGauges(apiMetrics.registry, db.sql);
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = await buildApp({
    log: silent,
    queue,
    db: db.db,
    webhooks: stripe.webhooks,
    webhookSecrets: opts.acceptedSecrets ?? [WEBHOOK_SECRET],
    livemode: false,
    ...(opts.trustProxy === undefined ? {} : { trustProxy: opts.trustProxy }),
    ...(opts.admin === undefined
      ? {}
      : { admin: { queues: [queue, reconcileQueue], username: opts.admin.username, password: opts.admin.password, readOnly: opts.admin.readOnly ?? false } }),
    metrics: apiMetrics,
    readiness: { sql: db.sql, redis: producer },
    ...(opts.metricsToken === undefined ? {} : { metricsToken: opts.metricsToken }),
    landing: {
      publicUrl: apiUrl,
      waitMs: opts.landingWaitMs ?? 8000,
      rateLimitPerMinute: opts.rateLimitPerMinute ?? 100_000,
      lookupsPerSecond: opts.landing?.lookupsPerSecond ?? 10_000,
      lookupsPerClientPerMinute: opts.landing?.lookupsPerClientPerMinute ?? 100_000,
      recheckMs: opts.landing?.recheckMs ?? 30_000,
      secretWindowMs: opts.landing?.secretWindowMs ?? 3_600_000,
      emailConfigured: opts.landing?.emailConfigured ?? false,
    },
    redis: producer,
    shop: { stripe, publicUrl: apiUrl, checkoutOrigin: emulator.url() },
  });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  emulator.endpoints.push(`${apiUrl}/webhook`);

  const workers: FulfillmentWorker[] = [];
  const connections: Redis[] = [];
  const stack: Stack = {
    db,
    emulator,
    stripe,
    prefix,
    producer,
    queue,
    api,
    apiUrl,
    workers,
    startWorker(w = {}) {
      const connection = workerConnection(redisUrl);
      connection.on('error', () => undefined);
      connections.push(connection);
      const worker = createWorker({
        connection,
        sql: db.sql,
        stripe,
        handlers: fulfillmentHandlers({ callbackUrls: [] }),
        log: silent,
        prefix,
        concurrency: w.concurrency ?? 10,
        lockDurationMs: w.lockDurationMs ?? 30_000,
      });
      workers.push(worker);
      return worker;
    },
    env(extra = {}) {
      return {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_BASE: emulator.url(),
        QUEUE_PREFIX: prefix,
        JOB_ATTEMPTS: String(queueSettings.attempts),
        JOB_BACKOFF_MS: String(queueSettings.backoffMs),
        LOG_LEVEL: 'warn',
        // Tests that want scheduled reconciliation ask for it; others count their jobs exactly.
        RECONCILE_INTERVAL: 'off',
        // The fleet-wide Stripe budget is exercised by its own test; elsewhere it must not pace.
        STRIPE_MAX_RPS: '10000',
        STRIPE_ENDPOINT_MAX_RPS: '10000',
        ...extra,
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await api.close();
      await emulator.app.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await reconcileQueue.obliterate({ force: true }).catch(() => undefined);
      await Promise.all([queue.close(), reconcileQueue.close()]);
      producer.disconnect();
      for (const c of connections) c.disconnect();
      await db.drop();
    },
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) stack.startWorker();
  return stack;
}
