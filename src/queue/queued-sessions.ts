import type { FulfillmentQueue } from './fulfillment-queue.js';

/** A job id made by `jobIdFor` starts with its session id and `_` (session ids have no `_` after the mode). */
const SESSION_OF_JOB = /^(cs_(?:test|live)_[A-Za-z0-9]+)_/;

/**
 * Jobs that will run, or are running: a session with one needs no other (a paused queue's jobs are
 * 'waiting' here on both backends since BullMQ 6; only the PostgreSQL backend's counts call them 'paused').
 */
const PENDING = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/**
 * Which of `ids` already have a run waiting or running. Event and reconciliation runs are found by
 * their job id (it starts with the session id); a landing page run by its deduplication key, which
 * BullMQ holds until the job finishes. Reads only job ids, never job data; called only for the few
 * sessions reconciliation cannot record from its page.
 */
export async function queuedSessionIds(queue: FulfillmentQueue, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const wanted = new Set(ids);
  const found = new Set<string>();
  for (const jobId of await queue.getRanges([...PENDING], 0, -1, true)) {
    const session = SESSION_OF_JOB.exec(jobId)?.[1];
    if (session !== undefined && wanted.has(session)) found.add(session);
  }
  for (const id of wanted) {
    if (!found.has(id) && (await queue.getDeduplicationJobId(`${id}_landing`)) !== null) found.add(id);
  }
  return found;
}
