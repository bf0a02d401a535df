import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { HistoryWriter, NewHistoryEntry } from '../db/order-history.js';
import type { RunEntry } from '../domain/order-history.js';
import { isHandledEventType } from '../domain/trigger.js';
import type { FulfillJobData } from '../queue/contract.js';

/** How a run ended, as the order's story tells it. */
export type RunEnd =
  | { readonly outcome: string; readonly changed: boolean }
  | { readonly outcome: 'failed'; readonly errorCode: string; readonly error: string; readonly finalFailure: boolean };

/**
 * The order's story for one job run: its webhook event (from the job: the api never touches Postgres on the
 * webhook path, so the worker writes what the job carries, with the time the api queued it) and the run itself.
 * Written when the run has ended, batched with concurrent runs' (order-history.ts says why). A write that fails
 * is logged and dropped: the story loses an entry, the order nothing.
 */
export async function tellRun(history: HistoryWriter | undefined, job: Job<FulfillJobData>, end: RunEnd, durationMs: number, stripeRequests: number, log: Logger): Promise<void> {
  if (history === undefined) return;
  const { sessionId, trigger, eventId } = job.data;
  const queuedAt = new Date(job.timestamp).toISOString();
  const run: RunEntry = {
    kind: 'run',
    trigger,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    ...end,
    durationMs,
    stripeRequests,
    ...(job.id === undefined ? {} : { jobId: job.id }),
    ...(eventId === undefined ? {} : { eventId }),
    queuedAt,
  };
  const entries: NewHistoryEntry[] = [];
  if (eventId !== undefined && isHandledEventType(trigger)) {
    entries.push({ sessionId, at: queuedAt, detail: { kind: 'webhook', eventId, type: trigger, receivedAt: queuedAt } });
  }
  entries.push({ sessionId, detail: run });
  await history(entries).catch((err: unknown) => log.warn({ err }, 'order history not written'));
}
