import type { Bull, BullQueue } from './bull.js';
import { reportErrorsOnConnection } from './redis.js';

/** The order history's upkeep: one scheduled job that deletes entries older than ORDER_HISTORY_DAYS. */
export const HISTORY_QUEUE = 'order-history';
export const PRUNE_JOB = 'prune';

export interface PruneJobData {
  /** Entries older than this many days go. */
  readonly days: number;
}

export type HistoryQueue = BullQueue<PruneJobData, { deleted: number }, typeof PRUNE_JOB>;

export function createHistoryQueue(bull: Bull): HistoryQueue {
  return reportErrorsOnConnection(
    bull.queue<PruneJobData, { deleted: number }, typeof PRUNE_JOB>(HISTORY_QUEUE, {
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: 30, removeOnFail: 30 },
    }),
  );
}

/** Every hour (as reconciliation, a BullMQ job scheduler: one job per interval however many workers upsert it). */
export const PRUNE_EVERY_MS = 3_600_000;

/**
 * https://docs.bullmq.io/guide/job-schedulers. The upsert also carries a changed ORDER_HISTORY_DAYS to the
 * next job; a prune now and then is cheap (an indexed range delete), so hourly keeps each one small.
 */
export async function schedulePrune(queue: HistoryQueue, days: number, everyMs = PRUNE_EVERY_MS): Promise<void> {
  await queue.upsertJobScheduler(PRUNE_JOB, { every: everyMs }, { name: PRUNE_JOB, data: { days } });
}
