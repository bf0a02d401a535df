import type { Logger } from 'pino';
import { isConnectionError } from './connection-error.js';

/**
 * BullMQ's codes for a job whose lock or state moved on without this worker (its ErrorCode enum):
 * JobNotExist, JobLockNotExist, JobNotInState, JobLockMismatch.
 */
const JOB_MOVED_ON: ReadonlySet<number> = new Set([-1, -2, -3, -6]);

/**
 * How long after Redis is back a "the job moved on" error is still the outage's echo. When Redis dies
 * between running a worker's moveToFinished and answering it, BullMQ retries the command after the
 * reconnect and Redis, having finished the job, answers "Missing lock" (then the same for the failure
 * path). The job's outcome is already in Postgres; the worker's stalled check covers anything else.
 */
const OUTAGE_ECHO_MS = 60_000;

/**
 * The handler for a BullMQ worker's `error` event, at the level it deserves. While Redis restarts, every
 * worker emits an error per failed blocking read, lock renewal and reconnect attempt (about 50 lines
 * per restart), and recovers by itself: those are warnings, told apart by the error's code or by the
 * connection not being ready (ioredis gives "Connection is closed" no code), as are lock errors in the
 * minute after the connection came back. Anything else a worker emits while Redis is fine is
 * unexpected, and an error.
 */
/**
 * The queue's connection as this log sees it: an ioredis client as it is, or the Postgres backend's pool
 * health (queue/pg-link.ts). `status` is 'ready' while it answers.
 */
export interface LinkState {
  readonly status: string;
  on(event: 'ready' | 'close', listener: () => void): unknown;
}

export function logWorkerError(log: Logger, worker: string, connection: LinkState): (err: Error) => void {
  // Until the connection has been ready once, the start-up check (roles/start-failure.ts) owns the
  // report: one line naming REDIS_URL, not a warning per worker and reconnect attempt before it.
  let seenReady = connection.status === 'ready';
  let lost = false;
  let backAt = Number.NEGATIVE_INFINITY;
  connection.on('ready', () => {
    if (lost) backAt = Date.now();
    seenReady = true;
    lost = false;
  });
  connection.on('close', () => (lost = seenReady));
  return (err) => {
    if (!seenReady) return;
    if (isConnectionError(err) || connection.status !== 'ready') log.warn({ err, worker }, 'worker lost the queue (Redis or Postgres); reconnecting');
    else if (jobMovedOn(err) && Date.now() - backAt < OUTAGE_ECHO_MS)
      log.warn({ err, worker }, 'a job finished or moved on while Redis was away; its outcome is in Postgres');
    else log.error({ err, worker }, 'worker error');
  };
}

function jobMovedOn(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && JOB_MOVED_ON.has(code);
}
