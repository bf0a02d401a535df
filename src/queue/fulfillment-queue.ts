import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  FULFILLMENT_QUEUE,
  JOB_NAME,
  bullPrefix,
  defaultJobOptions,
  jobIdFor,
  type FulfillJobData,
  type FulfillJobResult,
} from './contract.js';
import { reportErrorsOnConnection } from './redis.js';
import { jobPriorityOf, requestClassOf } from '../stripe/request-class.js';

export type FulfillmentQueue = Queue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>;

export interface QueueSettings {
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
}

export function createFulfillmentQueue(connection: Redis, settings: QueueSettings): FulfillmentQueue {
  return reportErrorsOnConnection(
    new Queue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>(FULFILLMENT_QUEUE, {
      connection,
      prefix: bullPrefix(settings.prefix),
      defaultJobOptions: defaultJobOptions(settings),
    }),
  );
}

/**
 * The landing page's run: at most one in flight per session however often the page is reloaded
 * (BullMQ deduplication holds until the job finishes); once it has finished, the next visit gets a new
 * run that reads fresh state. Returns the job to wait on, the existing one when deduplicated.
 */
export async function enqueueLanding(queue: FulfillmentQueue, sessionId: string) {
  return queue.add(JOB_NAME, { sessionId, trigger: 'landing' }, { deduplication: { id: `${sessionId}_landing` } });
}

/**
 * Adds the run for this trigger; a second add with the same data is a no-op (same job id). Webhook runs
 * are prioritized behind landing runs (which carry no priority: BullMQ's plain wait list comes first),
 * reconciliation's behind both.
 */
export async function enqueueFulfillment(queue: FulfillmentQueue, data: FulfillJobData) {
  const priority = jobPriorityOf(requestClassOf(data.trigger));
  return queue.add(JOB_NAME, data, { jobId: jobIdFor(data), ...(priority === undefined ? {} : { priority }) });
}
