import type { Bull, BullQueue } from './bull.js';
import { AFTER_SALE_JOB, AFTER_SALE_QUEUE, afterSaleJobId, defaultJobOptions, type AfterSaleJobData, type AfterSaleJobResult } from './contract.js';
import { reportErrorsOnConnection } from './redis.js';
import type { QueueSettings } from './fulfillment-queue.js';
import { queueTelemetry } from '../observability/tracing.js';

export type AfterSaleQueue = BullQueue<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>;

/** Same retry and retention rules as fulfillment's: a refund run that fails (Stripe down, a hook throwing) is retried. */
export function createAfterSaleQueue(bull: Bull, settings: QueueSettings): AfterSaleQueue {
  return reportErrorsOnConnection(
    bull.queue<AfterSaleJobData, AfterSaleJobResult, typeof AFTER_SALE_JOB>(AFTER_SALE_QUEUE, {
      defaultJobOptions: defaultJobOptions(settings),
      ...queueTelemetry(),
    }),
  );
}

/** Adds the run for this event; a second add with the same data is a no-op (same job id). */
export async function enqueueAfterSale(queue: AfterSaleQueue, data: AfterSaleJobData) {
  return queue.add(AFTER_SALE_JOB, data, { jobId: afterSaleJobId(data) });
}
