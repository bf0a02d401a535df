import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Bull, BullWorker } from '../queue/bull.js';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import type Stripe from 'stripe';
import { afterSaleRun } from '../domain/after-sale-run.js';
import type { AfterSaleSettings } from '../run/apply-after-sale.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { AFTER_SALE_QUEUE, type AFTER_SALE_JOB, type AfterSaleJobData, type AfterSaleJobResult } from '../queue/contract.js';
import { enqueueFulfillment, type FulfillmentQueue } from '../queue/fulfillment-queue.js';
import { reportErrorsOnConnection } from '../queue/redis.js';
import { recordAfterSale } from '../run/record-after-sale.js';
import { withRequestClass } from '../stripe/request-class.js';
import { classifyError } from './classify-error.js';
import { NEVER_BINDING_LIMITER, isStripeRateLimit, putBackRateLimited } from './rate-limited.js';
import type { EnqueueEffects } from './record-and-hand-off.js';
import type { Metrics } from '../observability/metrics.js';
import { queueTelemetry } from '../observability/tracing.js';

export interface AfterSaleWorkerDeps {
  /** Where the queues are (QUEUE_BACKEND: Redis or Postgres). */
  readonly bull: Bull;
  readonly sql: postgres.Sql;
  /** The worker role's Stripe client: its requests share the fleet's budget (stripe/rate-budget.ts). */
  readonly stripe: Stripe;
  readonly handlers: readonly FulfillmentHandler[];
  /** `DISPUTE_POLICY` and whom changes are announced to. */
  readonly settings: AfterSaleSettings;
  /** Where a paid session found unfulfilled is sent (its fulfillment takes the refund into account). */
  readonly fulfillmentQueue: FulfillmentQueue;
  readonly log: Logger;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly autorun?: boolean;
  readonly enqueueEffects?: EnqueueEffects;
  readonly metrics?: Metrics;
}

export type AfterSaleWorker = BullWorker<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>;

/** Takes after-sale jobs (refund and dispute events): a thin adapter around domain/after-sale-run.ts. */
export function createAfterSaleWorker(deps: AfterSaleWorkerDeps): AfterSaleWorker {
  const queue = reportErrorsOnConnection(deps.bull.queue(AFTER_SALE_QUEUE));
  const process = async (job: Job<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>): Promise<AfterSaleJobResult> => {
    const { paymentIntent, trigger, eventId, objectId, account } = job.data;
    const log = deps.log.child({ jobId: job.id, paymentIntent, eventId });
    try {
      const outcome = await withRequestClass('webhook', () =>
        afterSaleRun(job.data, {
          stripe: deps.stripe,
          // Postgres' clock is the run's "read at": every worker process compares reads by the same clock.
          lookup: async (pi) => {
            const [row] = await deps.sql<{ id: string | null; now: Date }[]>`
              select (select id from checkout_sessions where payment_intent = ${pi} limit 1) as id, clock_timestamp() as now`;
            return { sessionId: row?.id ?? undefined, now: new Date(row?.now ?? Date.now()).toISOString() };
          },
          record: (input) =>
            recordAfterSale(
              deps.sql,
              { ...input, account, settings: deps.settings, trigger, eventId, objectId, enqueuesAfterCommit: deps.enqueueEffects !== undefined },
              deps.handlers,
            ),
          fulfill: async (sessionId) => {
            await enqueueFulfillment(deps.fulfillmentQueue, { sessionId, trigger: 'reconcile', runId: `after-sale-${job.id ?? paymentIntent}`, ...(account === undefined ? {} : { account }) });
          },
        }),
      );
      if (outcome.newEffects.length > 0 && deps.enqueueEffects !== undefined) {
        await deps.enqueueEffects(outcome.newEffects).catch((err: unknown) => log.warn({ err }, 'effects not enqueued; the sweep will pick them up'));
      }
      deps.metrics?.afterSaleRuns.inc({ outcome: outcome.outcome });
      log.info({ sessionId: outcome.sessionId, outcome: outcome.outcome, seq: outcome.seq, attempt: job.attemptsMade + 1 }, 'after-sale run');
      return { paymentIntent, sessionId: outcome.sessionId, outcome: outcome.outcome, seq: outcome.seq };
    } catch (err) {
      if (isStripeRateLimit(err)) throw await putBackRateLimited(queue);
      const classified = classifyError(err);
      deps.metrics?.afterSaleRuns.inc({ outcome: 'failed' });
      log.warn({ err: classified, attempt: job.attemptsMade + 1 }, 'after-sale run failed');
      throw classified;
    }
  };
  const worker = deps.bull.worker<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>(AFTER_SALE_QUEUE, process, {
    name: `${hostname()}-${globalThis.process.pid}`,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.lockDurationMs,
    maxStalledCount: 5,
    autorun: deps.autorun ?? true,
    limiter: NEVER_BINDING_LIMITER,
    ...queueTelemetry(),
  });
  worker.on('closed', () => void queue.close());
  return worker;
}
