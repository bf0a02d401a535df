import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type postgres from 'postgres';
import { storedSessionReader } from '../db/final-sessions.js';
import { fulfillCheckout } from '../domain/fulfill-checkout.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import type { AfterSaleSettings } from '../run/apply-after-sale.js';
import type { AnnounceFinished } from '../queue/finished-signals.js';
import type { Bull, BullWorker } from '../queue/bull.js';
import { reportErrorsOnConnection } from '../queue/redis.js';
import { FULFILLMENT_QUEUE, type FulfillJobData, type FulfillJobResult, type JOB_NAME } from '../queue/contract.js';
import type { Metrics } from '../observability/metrics.js';
import { queueTelemetry } from '../observability/tracing.js';
import { classifyError, isPermanent } from './classify-error.js';
import { recordAndHandOff, type EnqueueEffects } from './record-and-hand-off.js';
import { reportFailure } from './report-failure.js';
import type { SessionBatcher } from '../stripe/session-batcher.js';
import { requestClassOf, withRequestClass } from '../stripe/request-class.js';
import { countingStripeRequests } from '../stripe/request-count.js';
import type { HistoryWriter } from '../db/order-history.js';
import { tellRun } from './run-story.js';
import { PermanentFailure } from './classify-error.js';
import { NEVER_BINDING_LIMITER, isStripeRateLimit, putBackRateLimited } from './rate-limited.js';

export interface WorkerDeps {
  /** Where the queues are (Redis or Postgres). */
  readonly bull: Bull;
  /** Tells the apis that a landing run finished (queue/finished-signals.ts); without it their pages poll. */
  readonly announceFinished?: AnnounceFinished;
  readonly sql: postgres.Sql;
  readonly stripe: Stripe;
  /** The fulfillment handlers (src/fulfillment/registry.ts), run in each paid session's transaction. */
  readonly handlers: readonly FulfillmentHandler[];
  readonly log: Logger;
  readonly concurrency: number;
  /** How long a job's lock lives without renewal; a worker that dies loses its jobs after this. */
  readonly lockDurationMs: number;
  readonly metrics?: Metrics;
  /** false: take no job until `worker.run()` (the worker role starts it once its checks pass). Default true. */
  readonly autorun?: boolean;
  /** Coalesces runs' session reads into list requests; without it every run retrieves its session alone. */
  readonly sessionBatcher?: SessionBatcher;
  /** Hands a run's committed outbox effects to the dispatcher's queue; without it the sweeper finds them. */
  readonly enqueueEffects?: EnqueueEffects;
  /** `DISPUTE_POLICY` and the announcements' receivers (config), for a session fulfilled after its refund or dispute was recorded. */
  readonly afterSale?: AfterSaleSettings;
  /** Writes the order's story (runs, webhook events); without it nothing is told. */
  readonly history?: HistoryWriter;
}

export type FulfillmentWorker = BullWorker<FulfillJobData, FulfillJobResult, typeof JOB_NAME>;

/** Builds the worker; it starts taking jobs at once. `main.ts` owns signals and process exit. */
export function createWorker(deps: WorkerDeps): FulfillmentWorker {
  // Its own handle on the queue, for `rateLimit` (Worker#rateLimit is deprecated in BullMQ 5).
  const queue = reportErrorsOnConnection(deps.bull.queue(FULFILLMENT_QUEUE));
  // Concurrent runs' pre-reads share statements (db/final-sessions.ts).
  const stored = storedSessionReader(deps.sql);
  const processJob = async (job: Job<FulfillJobData, FulfillJobResult, typeof JOB_NAME>): Promise<FulfillJobResult> => {
    const log = deps.log.child({ jobId: job.id, sessionId: job.data.sessionId, eventId: job.data.eventId });
    const stopTimer = deps.metrics?.runSeconds.startTimer();
    const startedAt = Date.now();
    // Its Stripe requests take permits as its class: a landing run's go before a webhook backlog's.
    const counted = await countingStripeRequests(() =>
      withRequestClass(requestClassOf(job.data.trigger), () =>
        fulfillCheckout(job.data, {
          stripe: deps.stripe,
          stored,
          // Landing runs go alone: one retrieve now beats a window spent waiting for company.
          ...(deps.sessionBatcher === undefined || job.data.trigger === 'landing'
            ? {}
            : { batched: (req) => (deps.sessionBatcher as SessionBatcher).load(req.sessionId, req.created, req.account) }),
          record: (input) => recordAndHandOff(deps, input, log),
        }),
      ),
    );
    const tell = (end: Parameters<typeof tellRun>[2]) => tellRun(deps.history, job, end, Date.now() - startedAt, counted.requests, log);
    if ('result' in counted) {
      const outcome = counted.result;
      stopTimer?.({ status: outcome.status });
      log.info(
        { status: outcome.status, changed: outcome.changed, lineItems: outcome.lineItemCount, attempt: job.attemptsMade + 1, customerEmail: outcome.customerEmail },
        'fulfillment run',
      );
      await tell({ outcome: outcome.status, changed: outcome.changed });
      return { sessionId: outcome.sessionId, status: outcome.status, changed: outcome.changed };
    }
    const err = counted.error;
    stopTimer?.({ status: 'error' });
    if (isStripeRateLimit(err)) {
      log.warn({ attempt: job.attemptsMade + 1 }, 'stripe rate limited: job back to wait, attempt not used');
      await tell({ outcome: 'failed', errorCode: 'rate_limited', error: 'Stripe answered 429: back to the queue, attempt not used', finalFailure: false });
      throw await putBackRateLimited(queue);
    }
    const classified = classifyError(err);
    await reportFailure(deps, job, classified, log);
    await tell({
      outcome: 'failed',
      errorCode: classified instanceof PermanentFailure ? classified.code : 'retryable',
      error: classified.message.slice(0, 500),
      finalFailure: isPermanent(classified) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    });
    throw classified;
  };
  const worker = deps.bull.worker<FulfillJobData, FulfillJobResult, typeof JOB_NAME>(FULFILLMENT_QUEUE, processJob, {
    // The job's span, a child of its enqueue's (one trace from the webhook on): bullmq-otel when tracing is on.
    ...queueTelemetry(),
    // Stored on every job it processes (`processedBy`): which process ran what.
    name: `${hostname()}-${process.pid}`,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.lockDurationMs,
    maxStalledCount: 5,
    autorun: deps.autorun ?? true,
    limiter: NEVER_BINDING_LIMITER,
  });
  worker.on('closed', () => void queue.close());
  // A landing page may be waiting on this run: tell the apis at once (queue/finished-signals.ts).
  const announce = (job: Job<FulfillJobData, FulfillJobResult, typeof JOB_NAME> | undefined) => {
    if (job?.data.trigger === 'landing' && job.id !== undefined) deps.announceFinished?.(job.id);
  };
  worker.on('completed', announce);
  worker.on('failed', announce);
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    worker.on('completed', () => metrics.jobs.inc({ result: 'completed' }));
    worker.on('failed', (job, err) => {
      const final = isPermanent(err) || job === undefined || job.attemptsMade >= (job.opts.attempts ?? 1);
      metrics.jobs.inc({ result: final ? 'failed' : 'retried' });
    });
  }
  return worker;
}
