import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Bull } from '../../src/queue/bull.js';
import { pino } from 'pino';
import type Stripe from 'stripe';
import { loadConfig, requireStripe } from '../../src/config/index.js';
import type { Emulator } from '../../src/emulator/server.js';
import { startEmulator } from '../../src/emulator/start.js';
import type { FulfillmentQueue } from '../../src/queue/fulfillment-queue.js';
import type { AfterSaleQueue } from '../../src/queue/after-sale-queue.js';
import { createReconcileQueue } from '../../src/queue/reconcile-queue.js';
import { createEffectsQueue } from '../../src/queue/effects-queue.js';
import { createHistoryQueue } from '../../src/queue/history-queue.js';
import { createApiProcess, type ApiProcess } from '../../src/roles/api-process.js';
import { createWorkerProcess, type WorkerExtensions, type WorkerProcess } from '../../src/roles/worker-process.js';
import type { EffectDispatcher } from '../../src/effects/dispatcher.js';
import { createStripeClient } from '../../src/stripe/client.js';
import type { FulfillmentWorker } from '../../src/worker/create-worker.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { freePort } from './ports.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * The queue backend the stacks run on: TEST_QUEUE_BACKEND=postgres runs the end-to-end suites on BullMQ's
 * PostgreSQL backend, with REDIS_URL at a port where nothing listens (a Redis connection would fail them).
 */
export const QUEUE_BACKEND: 'redis' | 'postgres' = process.env.TEST_QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis';
/** Port 9 (discard) on loopback: nothing listens there on this machine, so any Redis command fails at once. */
export const CLOSED_REDIS_URL = 'redis://127.0.0.1:9';
export const SECRET_KEY = 'sk_test_emulator';
export const WEBHOOK_SECRET = 'whsec_test_primary_0123456789abcdef';
export const OLD_WEBHOOK_SECRET = 'whsec_test_previous_0123456789abcdef';
export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface Stack {
  readonly db: TestDatabase;
  readonly emulator: Emulator;
  /** A Stripe client of the test's own (the "Dashboard"), pointed at the emulator. */
  readonly stripe: Stripe;
  readonly prefix: string;
  /** The api role's queues (Redis or Postgres, as QUEUE_BACKEND says). */
  readonly producer: Bull;
  readonly queueBackend: 'redis' | 'postgres';
  /** The api role's fulfillment queue. */
  readonly queue: FulfillmentQueue;
  /** The api role's after-sale queue (refund and dispute events). */
  readonly afterSaleQueue: AfterSaleQueue;
  readonly api: FastifyInstance;
  readonly apiProcess: ApiProcess;
  readonly apiUrl: string;
  readonly workers: FulfillmentWorker[];
  /** Starts a worker role in this process on this stack's queue (it takes jobs once its start-up checks pass). */
  startWorker(opts?: { concurrency?: number; lockDurationMs?: number }): FulfillmentWorker;
  /** Resolves once every worker role started so far has started (its migrations and checks done); rejects with a failed start. */
  workersReady(): Promise<void>;
  /** The outbox dispatcher of each worker role started in this process. */
  readonly dispatchers: EffectDispatcher[];
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
  /** The test is the proxy: TRUST_PROXY=127.0.0.1, so X-Forwarded-For from a loopback connection names the client. */
  readonly trustProxy?: boolean;
  /** Serve Bull Board with these credentials. */
  readonly admin?: { username: string; password: string; readOnly?: boolean };
  readonly rateLimitPerMinute?: number;
  /** `DISPUTE_POLICY` (suspend, revoke, ignore); unset: the default. */
  readonly disputePolicy?: string;
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
  /** A Postgres server of the test's own (its outage test stops it); defaults to the machine's. */
  readonly databaseAdminUrl?: string;
  /** Defaults to QUEUE_BACKEND (TEST_QUEUE_BACKEND). */
  readonly queueBackend?: 'redis' | 'postgres';
  /** The outbox, as its variables (for worker roles and processes alike), plus code registered beside them. */
  readonly effects?: {
    readonly smtpUrl?: string;
    readonly callbackUrls?: readonly string[];
    readonly callbackSecret?: string;
    readonly backoffMs?: number;
    readonly timeoutMs?: number;
    /** EFFECT_RETRY_HORIZON, as the variable takes it ("5s"); default the config's. */
    readonly retryHorizon?: string;
    /** Registered through the worker role's extensions (in-process workers only). */
    readonly extensions?: WorkerExtensions;
  };
}

/**
 * The landing options as the variables that set them. Tests' Stripe budget is 10000/s on every endpoint,
 * so LANDING_STRIPE_SHARE = n / 10000 gives n lookups per second.
 */
function landingEnv(landing: StackOptions['landing'] = {}): Record<string, string> {
  const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;
  return {
    LANDING_STRIPE_SHARE: String(landing.lookupsPerSecond === undefined ? 1 : Math.min(1, (landing.lookupsPerSecond + 0.5) / 10_000)),
    LANDING_LOOKUPS_PER_CLIENT: String(landing.lookupsPerClientPerMinute ?? 10_000),
    LANDING_RECHECK_INTERVAL: seconds(landing.recheckMs ?? 30_000),
    ORDER_PAGE_SECRET_WINDOW: seconds(landing.secretWindowMs ?? 3_600_000),
    // Pages promise email only when the email effect is configured; nothing listens here in tests.
    ...(landing.emailConfigured === true ? { SMTP_URL: 'smtp://127.0.0.1:2525' } : {}),
  };
}

function effectsEnv(fx: StackOptions['effects']): Record<string, string> {
  if (fx === undefined) return {};
  return {
    ...(fx.smtpUrl === undefined ? {} : { SMTP_URL: fx.smtpUrl, MAIL_FROM: 'Shop <orders@example.com>' }),
    ...(fx.callbackUrls === undefined ? {} : { CALLBACK_URLS: fx.callbackUrls.join(',') }),
    ...(fx.callbackSecret === undefined ? {} : { CALLBACK_SECRET: fx.callbackSecret }),
    EFFECT_BACKOFF_MS: String(fx.backoffMs ?? 100),
    ...(fx.timeoutMs === undefined ? {} : { EFFECT_TIMEOUT_MS: String(fx.timeoutMs) }),
    ...(fx.retryHorizon === undefined ? {} : { EFFECT_RETRY_HORIZON: fx.retryHorizon }),
  };
}

/**
 * The real thing on loopback: the emulator, a fresh database and queue prefix, and the api and worker
 * *roles* built by the same factories as `npm run start:api` / `start:worker`, from a Config that the real
 * `loadConfig` parsed out of an environment record. Nothing is wired by hand here: a variable that does
 * not reach the code is as absent in the tests as in production.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const db = await freshDatabase(opts.databaseAdminUrl);
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const emulator = await startEmulator({
    webhookSecrets: opts.webhookSecrets ?? [WEBHOOK_SECRET],
    knobs: { latencyMs: opts.emulatorLatencyMs ?? 0 },
    webhookRetryBaseMs: 100,
  });
  const stripe = createStripeClient({ secretKey: SECRET_KEY, apiBase: new URL(emulator.url()), maxNetworkRetries: 2 });
  const queueBackend = opts.queueBackend ?? QUEUE_BACKEND;
  const redisUrl = opts.redisUrl ?? (queueBackend === 'postgres' ? CLOSED_REDIS_URL : REDIS_URL);
  const apiPort = await freePort();

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_BACKEND: queueBackend,
    STRIPE_SECRET_KEY: SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: (opts.acceptedSecrets ?? [WEBHOOK_SECRET]).join(','),
    STRIPE_API_BASE: emulator.url(),
    QUEUE_PREFIX: prefix,
    JOB_ATTEMPTS: String(opts.attempts ?? 8),
    JOB_BACKOFF_MS: String(opts.backoffMs ?? 50),
    LOG_LEVEL: 'warn',
    // Tests that want scheduled reconciliation ask for it; others count their jobs exactly.
    RECONCILE_INTERVAL: 'off',
    // The fleet-wide Stripe budget is exercised by its own test; elsewhere it must not pace.
    STRIPE_MAX_RPS: '10000',
    STRIPE_ENDPOINT_MAX_RPS: '10000',
    LANDING_WAIT_MS: String(opts.landingWaitMs ?? 8000),
    RATE_LIMIT_PER_MINUTE: String(opts.rateLimitPerMinute ?? 100_000),
    ...(opts.trustProxy === true ? { TRUST_PROXY: '127.0.0.1' } : {}),
    ...(opts.metricsToken === undefined ? {} : { METRICS_TOKEN: opts.metricsToken }),
    ...(opts.disputePolicy === undefined ? {} : { DISPUTE_POLICY: opts.disputePolicy }),
    ...(opts.admin === undefined
      ? {}
      : { ADMIN_USERNAME: opts.admin.username, ADMIN_PASSWORD: opts.admin.password, ADMIN_READONLY: String(opts.admin.readOnly ?? false) }),
    ...landingEnv(opts.landing),
    ...effectsEnv(opts.effects),
    ...extra,
  });
  // In this process: the same environment, but quiet unless TEST_LOG_LEVEL asks otherwise, and with small
  // Postgres pools (the api and each worker role have their own; the machine's Postgres is shared).
  const inProcess = (extra: Record<string, string> = {}) =>
    requireStripe(loadConfig(env({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DATABASE_POOL_MAX: '5', ...extra })));

  const apiProcess = await createApiProcess(inProcess({ HOST: '127.0.0.1', PORT: String(apiPort) }));
  await apiProcess.start();
  const apiUrl = apiProcess.url();
  emulator.endpoints.push(`${apiUrl}/webhook`);

  const workers: FulfillmentWorker[] = [];
  const workerProcesses: { role: WorkerProcess; started: Promise<void> }[] = [];
  const dispatchers: EffectDispatcher[] = [];
  const stack: Stack = {
    db,
    emulator,
    stripe,
    prefix,
    producer: apiProcess.backend.bull,
    queueBackend,
    queue: apiProcess.queue,
    afterSaleQueue: apiProcess.afterSaleQueue,
    api: apiProcess.app,
    apiProcess,
    apiUrl,
    workers,
    dispatchers,
    startWorker(w = {}) {
      const role = createWorkerProcess(
        inProcess({
          ...(w.concurrency === undefined ? { WORKER_CONCURRENCY: '10' } : { WORKER_CONCURRENCY: String(w.concurrency) }),
          ...(w.lockDurationMs === undefined ? {} : { WORKER_LOCK_DURATION_MS: String(w.lockDurationMs) }),
        }),
        opts.effects?.extensions,
      );
      dispatchers.push(role.dispatcher);
      // Synchronous for the callers' convenience; a failed start surfaces in close().
      const started = role.start();
      started.catch(() => undefined);
      workerProcesses.push({ role, started });
      workers.push(role.worker);
      return role.worker;
    },
    env,
    async workersReady() {
      await Promise.all(workerProcesses.map((w) => w.started));
    },
    async close() {
      for (const { started } of workerProcesses) await started.catch(() => undefined);
      await Promise.all(workerProcesses.map(({ role }) => role.stop()));
      const reconcileQueue = createReconcileQueue(apiProcess.backend.bull);
      const effectsQueue = createEffectsQueue(apiProcess.backend.bull);
      const historyQueue = createHistoryQueue(apiProcess.backend.bull);
      await Promise.all([apiProcess.queue, apiProcess.afterSaleQueue, reconcileQueue, effectsQueue, historyQueue].map((q) => q.obliterate({ force: true }).catch(() => undefined)));
      await Promise.all([reconcileQueue.close(), effectsQueue.close(), historyQueue.close()]);
      await apiProcess.stop();
      await emulator.app.close();
      await db.drop();
    },
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) stack.startWorker();
  return stack;
}
