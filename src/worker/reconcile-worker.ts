import type { Bull, BullWorker } from '../queue/bull.js';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import type Stripe from 'stripe';
import { staleAwaitingSessions } from '../db/awaiting-sessions.js';
import { finalSessionIds } from '../db/final-sessions.js';
import { failedSessionIds } from '../db/fulfillment-failures.js';
import { afterSaleCursor, seenAccounts, storedAfterSaleFacts } from '../db/after-sale-reconcile.js';
import { reconcile } from '../domain/reconcile.js';
import { reconcileAfterSale } from '../domain/reconcile-after-sale.js';
import { enqueueAfterSale, type AfterSaleQueue } from '../queue/after-sale-queue.js';
import { recordAndHandOff, type EnqueueEffects } from './record-and-hand-off.js';
import type { Metrics } from '../observability/metrics.js';
import { reportErrorsOnConnection } from '../queue/redis.js';
import { RECONCILE_QUEUE, type RECONCILE_JOB, type ReconcileJobData, type ReconcileResult } from '../queue/contract.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import type { AfterSaleSettings } from '../run/apply-after-sale.js';
import { enqueueFulfillment, type FulfillmentQueue } from '../queue/fulfillment-queue.js';
import { queuedSessionIds } from '../queue/queued-sessions.js';
import { withRequestClass } from '../stripe/request-class.js';
import { NEVER_BINDING_LIMITER, isStripeRateLimit, putBackRateLimited } from './rate-limited.js';
import { queueTelemetry } from '../observability/tracing.js';

export interface ReconcileWorkerDeps {
  readonly bull: Bull;
  readonly stripe: Stripe;
  readonly sql: postgres.Sql;
  readonly fulfillmentQueue: FulfillmentQueue;
  /** Where a refund or dispute whose webhook was lost (or is late) is handed to an after-sale run. */
  readonly afterSaleQueue: AfterSaleQueue;
  /** The fulfillment handlers: reconciliation records sessions itself, through the worker's transaction. */
  readonly handlers: readonly FulfillmentHandler[];
  /** Hands the outbox effects of a session it recorded to the dispatcher's queue, as the worker does; without it the sweeper finds them. */
  readonly enqueueEffects?: EnqueueEffects;
  /** `DISPUTE_POLICY` and the announcements' receivers (config), for a session fulfilled after its refund or dispute was recorded. */
  readonly afterSale?: AfterSaleSettings;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** false: take no job until `worker.run()`. Default true. */
  readonly autorun?: boolean;
}

/**
 * A session awaiting payment since before the lookback is retrieved at most once an hour (a delayed debit
 * settles in days), and at most 100 per run: with the default 10-minute interval, at most 100 requests of
 * the 'reconcile' class per 10 minutes, and none at all when no debit is that old.
 */
const AWAITING_RECHECK_MS = 3_600_000;
const AWAITING_PER_RUN = 100;

/**
 * Takes reconcile jobs (one at a time across the fleet) and runs `reconcile` for each: sessions are
 * recorded from the list pages; only those a page cannot serve are handed to a fulfillment run.
 */
export function createReconcileWorker(deps: ReconcileWorkerDeps): BullWorker<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB> {
  // For `rateLimit`: a 429 puts the run back without using one of its attempts, as for fulfillment runs.
  const queue = reportErrorsOnConnection(deps.bull.queue(RECONCILE_QUEUE));
  const worker = deps.bull.worker<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB>(
    RECONCILE_QUEUE,
    async (job) => {
      const log = deps.log.child({ reconcileJobId: job.id });
      log.info({ lookbackMs: job.data.lookbackMs }, 'reconciliation started');
      const runId = `${job.id ?? 'x'}`.replace(/[^A-Za-z0-9_-]/g, '-');
      // Catch-up is the least urgent: its list reads yield to customers' and webhooks' requests.
      const counts = await withRequestClass('reconcile', () => reconcile(job.data.lookbackMs, {
        stripe: deps.stripe,
        finalIds: (ids) => finalSessionIds(deps.sql, ids),
        heldIds: (ids) => failedSessionIds(deps.sql, ids),
        record: (input) => recordAndHandOff(deps, input, log),
        queuedIds: (ids) => queuedSessionIds(deps.fulfillmentQueue, ids),
        enqueue: async (sessionId, account) => {
          await enqueueFulfillment(deps.fulfillmentQueue, { sessionId, trigger: 'reconcile', runId, ...(account === undefined ? {} : { account }) });
        },
        awaitingBeforeLookback: (createdBefore) => staleAwaitingSessions(deps.sql, new Date(createdBefore * 1000), AWAITING_RECHECK_MS, AWAITING_PER_RUN),
        onFallback: (sessionId, reason) => log.warn({ sessionId, reason }, 'reconciliation: session handed to a run'),
        onProgress: (p) => {
          log.info(p, 'reconciliation progress');
          void job.updateProgress(p);
        },
      }).then(async (sessions) => {
        const cursor = afterSaleCursor(deps.sql);
        // Then the refunds and disputes created since the last pass, per account: the same class, the same budget.
        const afterSale = await reconcileAfterSale(job.data.lookbackMs, {
          stripe: deps.stripe,
          accounts: async () => [null, ...(await seenAccounts(deps.sql))],
          lastPass: (account) => cursor.lastPass(account),
          rememberPass: (account, startedAt) => cursor.rememberPass(account, startedAt),
          storedFacts: (pis) => storedAfterSaleFacts(deps.sql, pis),
          enqueue: async (paymentIntent, account, objectId) => {
            await enqueueAfterSale(deps.afterSaleQueue, { paymentIntent, trigger: 'reconcile', runId, objectId, ...(account === null ? {} : { account }) });
          },
        });
        log.info(afterSale, 'reconciliation of refunds and disputes');
        return { ...sessions, afterSale };
      })).catch(async (err: unknown) => {
        // What it recorded stays recorded: the next run lists again and skips those as final.
        if (isStripeRateLimit(err)) throw await putBackRateLimited(queue);
        throw err;
      });
      deps.metrics?.reconcileSessions.inc({ outcome: 'already_final' }, counts.alreadyFinal);
      deps.metrics?.reconcileSessions.inc({ outcome: 'needs_attention' }, counts.needsAttention);
      // Each session once: the unpaid states it restored (a lost expired or failed-debit event) apart from the rest.
      deps.metrics?.reconcileSessions.inc({ outcome: 'recorded' }, counts.recorded - counts.expired - counts.paymentFailed);
      deps.metrics?.reconcileSessions.inc({ outcome: 'recorded_expired' }, counts.expired);
      deps.metrics?.reconcileSessions.inc({ outcome: 'recorded_payment_failed' }, counts.paymentFailed);
      deps.metrics?.reconcileSessions.inc({ outcome: 'enqueued' }, counts.enqueued);
      deps.metrics?.reconcileSessions.inc({ outcome: 'already_queued' }, counts.alreadyQueued);
      deps.metrics?.reconcileAfterSale.inc({ outcome: 'current' }, counts.afterSale.current);
      deps.metrics?.reconcileAfterSale.inc({ outcome: 'enqueued' }, counts.afterSale.enqueued);
      log.info(counts, 'reconciliation finished');
      return counts;
    },
    { concurrency: 1, autorun: deps.autorun ?? true, limiter: NEVER_BINDING_LIMITER, ...queueTelemetry() },
  );
  worker.on('closed', () => void queue.close());
  worker.on('completed', () => deps.metrics?.reconcileRuns.inc({ result: 'completed' }));
  worker.on('failed', () => deps.metrics?.reconcileRuns.inc({ result: 'failed' }));
  return worker;
}
