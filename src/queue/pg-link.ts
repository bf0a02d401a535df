import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { LinkState } from '../observability/worker-error-log.js';

/** While the pool is lost, it is asked this often whether Postgres answers again. */
const PROBE_MS = 1000;

/**
 * The Postgres queue's connection state as worker-error-log.ts reads an ioredis client's: 'ready', or
 * 'lost' from a pool error until a probe query answers again ('close' and 'ready' events on the way).
 * A pool has no status of its own; this keeps the worker's outage warnings the same on both backends.
 */
export function pgLink(pool: pg.Pool): LinkState & { stop(): void } {
  const events = new EventEmitter();
  let status = 'ready';
  let probe: NodeJS.Timeout | undefined;
  pool.on('error', () => {
    if (status !== 'ready') return;
    status = 'lost';
    events.emit('close');
    probe = setInterval(() => {
      pool.query('select 1').then(
        () => {
          if (status === 'ready') return;
          status = 'ready';
          clearInterval(probe);
          events.emit('ready');
        },
        () => undefined,
      );
    }, PROBE_MS);
    probe.unref();
  });
  return {
    get status() {
      return status;
    },
    on(event, listener) {
      events.on(event, listener);
      return this;
    },
    stop: () => clearInterval(probe),
  };
}
