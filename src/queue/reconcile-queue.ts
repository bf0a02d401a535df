import type { Bull, BullEvents, BullQueue } from './bull.js';
import { reportErrorsOnConnection } from './redis.js';
import { queueTelemetry } from '../observability/tracing.js';
import { RECONCILE_JOB, RECONCILE_QUEUE, type ReconcileJobData, type ReconcileResult } from './contract.js';

export type ReconcileQueue = BullQueue<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB>;

export function createReconcileQueue(bull: Bull): ReconcileQueue {
  return reportErrorsOnConnection(
    bull.queue<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB>(RECONCILE_QUEUE, {
      ...queueTelemetry(),
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 5000, jitter: 0.5 }, removeOnComplete: 100, removeOnFail: 100 },
    }),
  );
}

/**
 * A BullMQ job scheduler makes one reconcile job every interval, however many workers call this (the
 * upsert is idempotent); global concurrency 1 lets only one run at a time across the fleet.
 * https://docs.bullmq.io/guide/job-schedulers, https://docs.bullmq.io/guide/queues/global-concurrency
 */
export async function scheduleReconcile(queue: ReconcileQueue, intervalMs: number, lookbackMs: number): Promise<void> {
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(RECONCILE_JOB, { every: intervalMs }, { name: RECONCILE_JOB, data: { lookbackMs } });
}

/** One run now (the CLI's `reconcile`); it waits its turn behind any run in progress. */
export async function requestReconcile(queue: ReconcileQueue, lookbackMs: number) {
  await queue.setGlobalConcurrency(1);
  return queue.add(RECONCILE_JOB, { lookbackMs });
}

/** Completion events of the reconcile queue (the CLI waits on its run). Needs its own blocking connection. */
export function createReconcileEvents(bull: Bull): BullEvents {
  return bull.events(RECONCILE_QUEUE);
}
