import { setTimeout as sleep } from 'node:timers/promises';
import type { FinishedSignals } from './finished-signals.js';

export type JobWait = { readonly state: 'completed' } | { readonly state: 'failed'; readonly reason: string } | { readonly state: 'timeout' };

/** With the workers' announcements, the job's state is read again only this often (for one that was lost). */
export const FALLBACK_POLL_MS = 100;

export interface WaitOptions {
  /** Wakes the wait when a worker announces the job finished (finished-signals.ts); without it, polls every 10-20 ms. */
  readonly signals?: FinishedSignals | undefined;
  readonly fallbackPollMs?: number;
}

/**
 * Waits for a job to finish: woken by the worker's announcement when `signals` is given and subscribed,
 * else polling its state every 10 ms at first and 20 ms at most.
 *
 * Not `job.waitUntilFinished(queueEvents)`: a QueueEvents instance reads the queue's whole event
 * stream, so in the api it would parse an event for every webhook enqueued by every api process; on the
 * ingress benchmark that cost ~40 % more CPU per webhook. Polling and the announcements cost only while someone waits.
 */
/** What a wait reads of the queue (either backend's Queue). */
export interface JobStates {
  getJobState(jobId: string): Promise<string>;
  getJob(jobId: string): Promise<{ readonly failedReason?: string } | undefined>;
}

export async function waitForJob(queue: JobStates, jobId: string, timeoutMs: number, opts: WaitOptions = {}): Promise<JobWait> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    // Armed before the read: an announcement that comes while the read is in flight still wakes this wait.
    const armed = opts.signals?.arm(jobId);
    try {
      const state = await queue.getJobState(jobId);
      // 'unknown': already removed by retention, so it finished long ago.
      if (state === 'completed' || state === 'unknown') return { state: 'completed' };
      if (state === 'failed') {
        const job = await queue.getJob(jobId);
        return { state: 'failed', reason: job?.failedReason ?? 'failed' };
      }
      const left = deadline - Date.now();
      if (left <= 0) return { state: 'timeout' };
      if (armed === undefined) {
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, 20);
      } else {
        await armed.wait(Math.min(opts.fallbackPollMs ?? FALLBACK_POLL_MS, left));
      }
    } finally {
      armed?.disarm();
    }
  }
}
