import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isConnectionError } from './connection-error.js';

/**
 * The handler for a BullMQ worker's `error` event, at the level it deserves. While Redis restarts, every
 * worker emits an error per failed blocking read, lock renewal and reconnect attempt (about 50 lines
 * per restart), and recovers by itself: those are warnings, told apart by the error's code or by the
 * connection not being ready (ioredis gives "Connection is closed" no code). Anything else a worker
 * emits while Redis is fine is unexpected, and an error.
 */
export function logWorkerError(log: Logger, worker: string, connection: Redis): (err: Error) => void {
  // Until the connection has been ready once, the start-up check (roles/start-failure.ts) owns the
  // report: one line naming REDIS_URL, not a warning per worker and reconnect attempt before it.
  let seenReady = connection.status === 'ready';
  if (!seenReady) connection.once('ready', () => (seenReady = true));
  return (err) => {
    if (!seenReady) return;
    if (isConnectionError(err) || connection.status !== 'ready') log.warn({ err, worker }, 'worker lost Redis; reconnecting');
    else log.error({ err, worker }, 'worker error');
  };
}
