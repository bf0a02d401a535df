import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { reportErrorsOnConnection } from './redis.js';
import { queueTelemetry } from '../observability/tracing.js';
import { RECONCILE_JOB, RECONCILE_QUEUE, bullPrefix, type ReconcileJobData, type ReconcileResult } from './contract.js';

export type ReconcileQueue = Queue<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB>;

export function createReconcileQueue(connection: Redis, prefix: string): ReconcileQueue {
  return reportErrorsOnConnection(
    new Queue<ReconcileJobData, ReconcileResult, typeof RECONCILE_JOB>(RECONCILE_QUEUE, {
      connection,
      prefix: bullPrefix(prefix),
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
export function createReconcileEvents(connection: Redis, prefix: string): QueueEvents {
  return new QueueEvents(RECONCILE_QUEUE, { connection, prefix: bullPrefix(prefix) });
}
