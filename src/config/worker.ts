import { z } from 'zod';
import { duration, int, parseDuration } from './values.js';

/** The queue and the workers that take its jobs, and reconciliation's schedule. */
export const workerVariables = {
  WORKER_CONCURRENCY: int(1, 1000).default(25),
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(30_000),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it is wrapped in {} as a Redis Cluster hash tag)')
    .default('fulfillment'),
  JOB_ATTEMPTS: int(1, 100).default(12),
  JOB_BACKOFF_MS: int(1, 3_600_000).default(1000),
  RECONCILE_INTERVAL: z
    .string()
    .refine((v) => v === 'off' || parseDuration(v) !== undefined, 'a duration such as 10m or 1h, or off')
    .transform((v) => (v === 'off' ? 0 : (parseDuration(v) as number)))
    .default(10 * 60_000),
  RECONCILE_LOOKBACK: duration.default(72 * 3_600_000),
};

export interface WorkerConfig {
  readonly concurrency: number;
  readonly lockDurationMs: number;
}

export interface QueueConfig {
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
}

/** `intervalMs` 0 (RECONCILE_INTERVAL=off): this worker schedules nothing; runs only when asked (CLI). */
export interface ReconcileConfig {
  readonly intervalMs: number;
  readonly lookbackMs: number;
}

export function workerConfig(e: z.infer<z.ZodObject<typeof workerVariables>>): { worker: WorkerConfig; queue: QueueConfig; reconcile: ReconcileConfig } {
  return {
    worker: { concurrency: e.WORKER_CONCURRENCY, lockDurationMs: e.WORKER_LOCK_DURATION_MS },
    queue: { prefix: e.QUEUE_PREFIX, attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL, lookbackMs: e.RECONCILE_LOOKBACK },
  };
}
