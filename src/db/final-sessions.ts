import DataLoader from 'dataloader';
import type postgres from 'postgres';
import { isFinal, type SessionStatus } from '../domain/session-status.js';

/**
 * The ids among `ids` that Postgres holds in a final state (FINAL_STATUSES), read as the worker's pre-read
 * is (readStored: one primary-key lookup per id, whatever the table's statistics say).
 */
export async function finalSessionIds(sql: postgres.Sql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  return new Set([...(await readStored(sql, ids))].filter(([, s]) => isFinal(s.status)).map(([id]) => id));
}

/** A stored session's status, and its email for the run's log line. */
type Stored = { status: SessionStatus; customerEmail: string | null };

/**
 * The stored status of a session (undefined when Postgres has no row for it), read for a worker's
 * concurrent runs together: the ids asked in one turn of the event loop go in one statement, sent at the
 * end of that turn (DataLoader, scheduled at setImmediate, no cache: every run reads Postgres after it was
 * asked, before it asks Stripe anything). Why: the pre-read was a statement and a round trip of its own for
 * every run; BullMQ hands out jobs in bursts (one Redis read carries several answers), and on the
 * end-to-end backlog (3,000 sessions) the worker sent 495 of these statements instead of 3,000: a socket
 * write saved per run (~130 µs of worker CPU each on this machine) and Postgres ran 9 instead of 32 µs of
 * pre-read per session (pg_stat_statements). A failed statement of several ids is read again id by id, so
 * that one id Postgres refuses fails its own run only.
 */
export function storedSessionReader(sql: postgres.Sql): (id: string) => Promise<Stored | undefined> {
  const loader = new DataLoader<string, Stored | undefined>(
    async (ids) => {
      try {
        const byId = await readStored(sql, [...new Set(ids)]);
        return ids.map((id) => byId.get(id));
      } catch (err) {
        if (ids.length === 1) throw err;
        return Promise.all(ids.map((id) => readStored(sql, [id]).then((byId) => byId.get(id), (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
      }
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (id) => loader.load(id);
}

async function readStored(sql: postgres.Sql, ids: readonly string[]): Promise<Map<string, Stored>> {
  // One primary-key lookup per id, whatever the statistics say: with `id = any($1)` the planner took
  // the status index (every fulfilled row) or a sequential scan on a table it had never analyzed.
  // The LIMIT keeps the lateral subquery from being flattened into a join.
  const rows = await sql<({ id: string } & Stored)[]>`
    select u.id, s.status, s.customer_email as "customerEmail"
    from unnest(${ids as string[]}::text[]) as u(id)
    cross join lateral (
      select status, customer_email from checkout_sessions c where c.id = u.id limit 1
    ) s`;
  return new Map(rows.map((r) => [r.id, { status: r.status, customerEmail: r.customerEmail }]));
}
