import type { JobsOptions } from 'bullmq';
import type { Bull, BullQueue } from './bull.js';
import {
  FULFILLMENT_QUEUE,
  JOB_NAME,
  defaultJobOptions,
  jobIdFor,
  type FulfillJobData,
  type FulfillJobResult,
} from './contract.js';
import { reportErrorsOnConnection } from './redis.js';
import { queueTelemetry } from '../observability/tracing.js';
import { requestClassOf, type RequestClass } from '../stripe/request-class.js';

export type FulfillmentQueue = BullQueue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>;

export interface QueueSettings {
  readonly attempts: number;
  readonly backoffMs: number;
}

export function createFulfillmentQueue(bull: Bull, settings: QueueSettings): FulfillmentQueue {
  return reportErrorsOnConnection(bull.queue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>(FULFILLMENT_QUEUE, { ...queueTelemetry(), defaultJobOptions: defaultJobOptions(settings) }));
}

/**
 * Where a class's run waits, so that the customer comes first without a BullMQ priority on every webhook job
 * (a prioritized add and take cost Redis a sorted set and a priority counter per job: ~10 % more Redis CPU
 * per webhook on the ingress bench). BullMQ serves its plain wait list before any prioritized job
 * (moveToActive: RPOPLPUSH from wait, then the prioritized set; https://docs.bullmq.io/guide/jobs/prioritized):
 * - landing (a customer on the success page): `lifo`, the head of the wait list, ahead of any webhook backlog
 *   (https://docs.bullmq.io/guide/jobs/lifo). Among themselves landing runs are thus last in, first out;
 * - webhook: plain, first in first out, like any BullMQ job;
 * - reconcile (catch-up of what was missed): priority 1, after everything in the wait list.
 * Not kept by a retry after a backoff: BullMQ puts a delayed job back at the tail of the wait list (or in the
 * prioritized set for reconciliation), so a landing run that failed once waits behind the webhook backlog.
 */
function placementOf(cls: RequestClass): Pick<JobsOptions, 'lifo' | 'priority'> {
  switch (cls) {
    case 'landing':
      return { lifo: true };
    case 'webhook':
      return {};
    case 'reconcile':
      return { priority: 1 };
  }
}

/**
 * The landing page's run: at most one in flight per session however often the page is reloaded
 * (BullMQ deduplication holds until the job finishes); once it has finished, the next visit gets a new
 * run that reads fresh state. Returns the job to wait on, the existing one when deduplicated.
 */
export async function enqueueLanding(queue: FulfillmentQueue, sessionId: string) {
  return queue.add(JOB_NAME, { sessionId, trigger: 'landing' }, { deduplication: { id: `${sessionId}_landing` }, ...placementOf('landing') });
}

/** Adds the run for this trigger, placed by its class (above); a second add with the same data is a no-op (same job id). */
export async function enqueueFulfillment(queue: FulfillmentQueue, data: FulfillJobData) {
  return queue.add(JOB_NAME, data, { jobId: jobIdFor(data), ...placementOf(requestClassOf(data.trigger)) });
}
