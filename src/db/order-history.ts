import type postgres from 'postgres';
import type { HistoryDetail } from '../domain/order-history.js';
import { storableText } from '../domain/storable.js';
import { groupCommit } from '../lib/group-commit.js';

/** One entry to write: the session, what happened, who did it (null: the service). */
export interface NewHistoryEntry {
  readonly sessionId: string;
  readonly detail: HistoryDetail;
  readonly actor?: string | null | undefined;
  /** When it happened, ISO; default the statement's now(). */
  readonly at?: string | undefined;
}

/** Postgres's oid for `text`. */
const TEXT_OID = 25;

type Sql = postgres.Sql | postgres.ReservedSql | postgres.TransactionSql;

/**
 * Writes entries in one statement (any number, any sessions). A webhook entry says whether its event id came
 * before (`redelivery`) and is written once per delivery that became a job: the same job run again (a retry,
 * a stalled job) has the same `receivedAt` and adds nothing.
 */
export function insertHistory(sql: Sql, entries: readonly NewHistoryEntry[]) {
  // Typed as text arrays (cast in SQL): postgres.js cannot infer the type of an array that starts with a null.
  const text = (values: readonly (string | null)[]) => sql.array(values as string[], TEXT_OID);
  const json = entries.map((e) => storableText(JSON.stringify(e.detail), 20_000));
  return sql`
    insert into order_history (session_id, at, kind, actor, event_id, detail)
    select u.s, coalesce(u.a, now()), u.k, u.ac, u.e,
      case when u.k = 'webhook'
        then u.d::jsonb || jsonb_build_object('redelivery', exists (select 1 from order_history h where h.event_id = u.e and h.kind = 'webhook'))
        else u.d::jsonb end
    from unnest(${text(entries.map((e) => e.sessionId))}::text[], ${text(entries.map((e) => e.at ?? null))}::timestamptz[],
      ${text(entries.map((e) => e.detail.kind))}::text[], ${text(entries.map((e) => e.actor ?? null))}::text[],
      ${text(entries.map((e) => (e.detail.kind === 'webhook' ? e.detail.eventId : null)))}::text[], ${text(json)}::text[])
      as u(s, a, k, ac, e, d)
    where not (u.k = 'webhook' and exists (
      select 1 from order_history h where h.event_id = u.e and h.kind = 'webhook' and h.detail->>'receivedAt' = u.d::jsonb->>'receivedAt'))`;
}

/** Writes entries, concurrent callers sharing one statement (group commit): the hot path's recorder. */
export type HistoryWriter = (entries: readonly NewHistoryEntry[]) => Promise<void>;

/** Most entries one statement carries. */
const BATCH_MAX = 200;

/**
 * Runs, webhook events and effect attempts are written after the fact, batched: a run's outcome and duration
 * are known only once it has ended, a failed run has no transaction to join, and a run that finds the session
 * final opens none. Concurrent runs' entries share one insert (group-commit.ts), so a busy worker pays a
 * statement per batch rather than per run. A failure to write is the caller's to log: the story loses an
 * entry, the order loses nothing.
 */
export function historyWriter(sql: postgres.Sql): HistoryWriter {
  const one = groupCommit(async (batches: readonly (readonly NewHistoryEntry[])[]) => {
    await insertHistory(sql, batches.flat());
    return batches.map(() => undefined);
  }, BATCH_MAX);
  return async (entries) => {
    if (entries.length > 0) await one(entries);
  };
}

/** Deletes entries older than `days`, a bounded slice at a time so that no statement holds locks for long. */
export async function pruneHistory(sql: postgres.Sql, days: number, slice = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await sql`
      delete from order_history where id in (
        select id from order_history where at < now() - ${days} * interval '1 day' limit ${slice})
      returning 1`;
    total += rows.length;
    if (rows.length < slice) return total;
  }
}

