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

export type FulfillmentQueue = Queue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>;

export interface QueueSettings {
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
}

export function createFulfillmentQueue(connection: Redis, settings: QueueSettings): FulfillmentQueue {
  return new Queue<FulfillJobData, FulfillJobResult, typeof JOB_NAME>(FULFILLMENT_QUEUE, {
    connection,
    prefix: bullPrefix(settings.prefix),
    defaultJobOptions: defaultJobOptions(settings),
  });
}

/** Adds the run for this trigger; a second add with the same data is a no-op (same job id). */
export async function enqueueFulfillment(queue: FulfillmentQueue, data: FulfillJobData) {
  return queue.add(JOB_NAME, data, { jobId: jobIdFor(data) });
}
