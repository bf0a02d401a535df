import type pg from 'pg';
import type { AnnounceFinished, SignalSource } from './finished-signals.js';

/** How long a lost LISTEN connection waits before it connects again. */
const RECONNECT_MS = 1000;

/**
 * The landing page's "run finished" signal on Postgres (QUEUE_BACKEND=postgres): NOTIFY instead of Redis's
 * PUBLISH. The channel is per database, as the queues are (the PostgreSQL backend has no key prefix).
 */
export const FINISHED_CHANNEL = 'fulfillment_landing_finished';

/** Worker side: one `pg_notify` per landing run that finished. Nothing waits on its answer. */
export function pgAnnouncer(pool: pg.Pool): AnnounceFinished {
  return (jobId) => void pool.query('select pg_notify($1, $2)', [FINISHED_CHANNEL, jobId]).catch(() => undefined);
}

/**
 * Api side: a connection of its own that LISTENs (a LISTEN belongs to its session, so never a pooled one),
 * connected again a second after it is lost; announcements sent meanwhile are missed, and waiting pages
 * poll until it is back (`live`).
 */
export function pgSignalSource(connect: () => pg.Client): SignalSource {
  let client: pg.Client | undefined;
  let live = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const attach = async (onJobId: (jobId: string) => void): Promise<void> => {
    const c = connect();
    let lost = false;
    const again = () => {
      live = false;
      if (lost || closed) return;
      lost = true;
      void c.end().catch(() => undefined);
      retry = setTimeout(() => void attach(onJobId).catch(() => undefined), RECONNECT_MS);
    };
    c.on('error', again);
    c.on('end', again);
    c.on('notification', (m) => {
      if (m.channel === FINISHED_CHANNEL && m.payload !== undefined) onJobId(m.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${FINISHED_CHANNEL}`);
    } catch (err) {
      again();
      throw err;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    live = true;
  };

  return {
    listen: (onJobId) => attach(onJobId),
    live: () => live,
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
