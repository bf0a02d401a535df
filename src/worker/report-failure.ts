import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import { recordFailure } from '../db/fulfillment-failures.js';
import type { Metrics } from '../observability/metrics.js';
import type { FulfillJobData } from '../queue/contract.js';
import { PermanentFailure, isPermanent } from './classify-error.js';

export interface FailureReportDeps {
  readonly sql: postgres.Sql;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
}

/**
 * Says what a failed run means, at the level it deserves: an error-level line means a human must look.
 * A retry to come is a warning; a job that ends failed is an error, except a session Stripe does not
 * know (anyone can ask the landing page for any id: that is not ours to fix). A session whose data
 * Postgres refuses (poison) is also recorded in `fulfillment_failures`, in a statement of its own since
 * the run's transaction rolled back, so the landing page and reconciliation stop asking for it again.
 */
export async function reportFailure(deps: FailureReportDeps, job: Job<FulfillJobData>, err: Error, log: Logger): Promise<void> {
  const attempt = job.attemptsMade + 1;
  const permanent = isPermanent(err);
  const code = err instanceof PermanentFailure ? err.code : undefined;
  if (code !== undefined) deps.metrics?.permanentFailures.inc({ code });
  if (!permanent && attempt < (job.opts.attempts ?? 1)) {
    log.warn({ err, attempt }, 'fulfillment run failed; will retry');
    return;
  }
  if (code === 'session_not_found') {
    log.warn({ err, attempt, code }, 'fulfillment run failed: Stripe does not know the session');
    return;
  }
  if (code === 'poison_data') {
    try {
      await recordFailure(deps.sql, { sessionId: job.data.sessionId, code, detail: err.message, jobId: job.id, trigger: job.data.trigger });
    } catch (recordErr) {
      log.error({ err: recordErr }, 'could not record the failed session in fulfillment_failures');
    }
    log.error({ err, attempt, code }, 'fulfillment failed permanently: the session needs attention');
    return;
  }
  log.error({ err, attempt, code }, 'fulfillment job failed');
}
