import type { JobType } from 'bullmq';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import { addCollectedGauge } from './metrics.js';

// No 'paused': since BullMQ 6 the jobs of a paused queue stay in 'waiting' (it has no paused list).
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** What the gauges read of the queue (a BullMQ Queue on either backend). */
export interface CountedQueue {
  getJobCounts(...types: JobType[]): Promise<Record<string, number>>;
  getJobs(types: JobType[], start: number, end: number, asc: boolean): Promise<readonly { readonly timestamp: number }[]>;
}

/** Queue depth by state and the age of the oldest waiting job, read from the queue at scrape time. */
export function addQueueGauges(registry: Registry, queue: CountedQueue): void {
  addCollectedGauge(registry, 'fulfillment_queue_jobs', 'Jobs in the fulfillment queue by state.', ['state'], async () => {
    const counts = await queue.getJobCounts(...STATES);
    return STATES.map((state) => ({ labels: { state }, value: counts[state] ?? 0 }));
  });
  addCollectedGauge(registry, 'fulfillment_queue_oldest_waiting_seconds', 'Age of the oldest job waiting to be taken (0 when none).', [], async () => {
    const [oldest] = await queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
    return [{ labels: {}, value: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest.timestamp) / 1000) }];
  });
}

/** Sessions by stored status, read from Postgres at scrape time. */
export function addSessionGauges(registry: Registry, sql: postgres.Sql): void {
  addCollectedGauge(registry, 'fulfillment_sessions', 'Checkout Sessions recorded in Postgres, by fulfillment status.', ['status'], async () => {
    const rows = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from checkout_sessions group by status`;
    return rows.map((r) => ({ labels: { status: r.status }, value: r.n }));
  });
}
