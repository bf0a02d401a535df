import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AFTER_SALE_JOB, AFTER_SALE_QUEUE, afterSaleJobId, bullPrefix, defaultJobOptions, type AfterSaleJobData, type AfterSaleJobResult } from './contract.js';
import { reportErrorsOnConnection } from './redis.js';
import type { QueueSettings } from './fulfillment-queue.js';
import { queueTelemetry } from '../observability/tracing.js';

export type AfterSaleQueue = Queue<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>;

/** Same retry and retention rules as fulfillment's: a refund run that fails (Stripe down, a hook throwing) is retried. */
export function createAfterSaleQueue(connection: Redis, settings: QueueSettings): AfterSaleQueue {
  return reportErrorsOnConnection(
    new Queue<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>(AFTER_SALE_QUEUE, {
      connection,
      prefix: bullPrefix(settings.prefix),
      defaultJobOptions: defaultJobOptions(settings),
      ...queueTelemetry(),
    }),
  );
}

/** Adds the run for this event; a second add with the same data is a no-op (same job id). */
export async function enqueueAfterSale(queue: AfterSaleQueue, data: AfterSaleJobData) {
  return queue.add(AFTER_SALE_JOB, data, { jobId: afterSaleJobId(data) });
}
