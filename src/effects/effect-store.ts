import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import type { EffectRecord } from './effect.js';
import type { EffectStatus } from '../db/schema.js';

/**
 * The outbox's bookkeeping in Postgres, which is the source of truth for every effect: BullMQ only
 * carries "try effect N now". An attempt is claimed with a lease (`locked_until`); a process that dies
 * mid-delivery leaves a lease that expires, and the sweeper hands the row to another attempt.
 */

interface EffectRow {
  id: string;
  kind: string;
  session_id: string;
  scope: string;
  target: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
}

/** Stable across every attempt; derived from the effect's unique key (Message-ID, webhook-id). */
export function idempotencyKey(sessionId: string, scope: string, kind: string, target: string): string {
  return `eff_${createHash('sha256').update(JSON.stringify([sessionId, scope, kind, target])).digest('base64url').slice(0, 32)}`;
}

function toRecord(row: EffectRow): EffectRecord {
  return {
    id: String(row.id),
    kind: row.kind,
    sessionId: row.session_id,
    target: row.target,
    // drizzle makes postgres.js's json parsing pass-through for its own reads, not for ours: parse if text.
    payload: typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload,
    idempotencyKey: idempotencyKey(row.session_id, row.scope, row.kind, row.target),
    attempts: row.attempts - 1,
    createdAt: new Date(row.created_at),
  };
}

export type Claim =
  | { readonly claimed: true; readonly effect: EffectRecord }
  /** Not pending, not due, already in flight, or its target is disabled (then it is now `skipped`). */
  | { readonly claimed: false; readonly reason: 'not_claimable' | 'target_disabled' | 'kind_off' }
  /** Pending and idle but not yet due (a job that came early): try again in `dueInMs`. */
  | { readonly claimed: false; readonly reason: 'not_due'; readonly dueInMs: number };

/**
 * Takes one attempt of each effect in `ids` that is pending, due and not in flight: one statement for all
 * of them (the dispatcher gathers concurrent claims, group-commit.ts), answered in the order of `ids`. Rows
 * are locked in id order, so two batches that share rows wait for each other instead of deadlocking. An
 * id given twice is claimed once: its later copies are `not_claimable`, as a second job for it would be.
 */
export async function claimEffects(sql: postgres.Sql, ids: readonly string[], leaseMs: number, kindsOn: readonly string[]): Promise<Claim[]> {
  const unique = [...new Set(ids)];
  const rows = await sql<(EffectRow & { disabled: boolean })[]>`
    update fulfillment_effects e set attempts = e.attempts + 1, locked_until = now() + ${leaseMs} * interval '1 millisecond',
      sweep_at = now() + ${leaseMs} * interval '1 millisecond'
    from (select id from fulfillment_effects where id = any(${unique}::bigint[]) order by id for update) locked
    where e.id = locked.id and e.status = 'pending' and e.next_attempt_at <= now() + interval '50 milliseconds'
      and (e.locked_until is null or e.locked_until < now())
    returning e.id, e.kind, e.session_id, e.scope, e.target, e.payload, e.attempts, e.created_at,
      exists (select 1 from effect_targets_disabled d where d.kind = e.kind and d.target = e.target) as disabled`;
  const byId = new Map<string, Claim>();
  const skips: Finish[] = [];
  for (const row of rows) {
    const id = String(row.id);
    if (row.disabled) {
      skips.push({ id, status: 'skipped', why: { code: 'target_disabled', reason: 'the receiver asked not to be called again (HTTP 410)' } });
      byId.set(id, { claimed: false, reason: 'target_disabled' });
    } else if (!kindsOn.includes(row.kind)) {
      skips.push({ id, status: 'skipped', why: { code: 'kind_off', reason: `no deliverer is configured for kind "${row.kind}"` } });
      byId.set(id, { claimed: false, reason: 'kind_off' });
    } else {
      byId.set(id, { claimed: true, effect: toRecord(row) });
    }
  }
  const missing = unique.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    // Not taken: early (a job that came before its time) or not claimable at all.
    const early = await sql<{ id: string; due_in_ms: number }[]>`
      select id, ceil(extract(epoch from next_attempt_at - now()) * 1000)::int as due_in_ms from fulfillment_effects
      where id = any(${missing}::bigint[]) and status = 'pending' and next_attempt_at > now() and (locked_until is null or locked_until < now())`;
    for (const r of early) byId.set(String(r.id), { claimed: false, reason: 'not_due', dueInMs: Math.max(1, r.due_in_ms) });
  }
  if (skips.length > 0) await finishEffects(sql, skips);
  const answered = new Set<string>();
  return ids.map((id) => {
    const claim = answered.has(id) ? undefined : byId.get(id);
    answered.add(id);
    return claim ?? { claimed: false, reason: 'not_claimable' };
  });
}

/** An effect's end: delivered, dead or skipped, and why (none for a delivery). */
export interface Finish {
  readonly id: string;
  readonly status: Exclude<EffectStatus, 'pending'>;
  readonly why: { readonly code: string; readonly reason: string } | undefined;
}

/**
 * Ends effects: delivered, dead or skipped, in one statement (the dispatcher gathers concurrent ones).
 * A delivery without a reason keeps the previous attempt's `last_code`/`last_error`, so a row delivered
 * after a failed attempt still says why it took more than one (an `attempt_timeout` there is where a
 * receiver may have got it twice). Rows are locked in id order, as in claimEffects.
 */
export async function finishEffects(sql: postgres.Sql, finishes: readonly Finish[]): Promise<void> {
  if (finishes.length === 0) return;
  const last = new Map(finishes.map((f) => [f.id, f]));
  const list = [...last.values()];
  await sql`
    update fulfillment_effects e set status = f.status, locked_until = null, finished_at = now(),
      last_code = coalesce(f.code, e.last_code), last_error = coalesce(f.reason, e.last_error)
    from (select id from fulfillment_effects where id = any(${list.map((f) => f.id)}::bigint[]) order by id for update) locked,
      unnest(${list.map((f) => f.id)}::bigint[], ${list.map((f) => f.status)}::text[], ${list.map((f) => f.why?.code ?? null)}::text[],
        ${list.map((f) => f.why?.reason ?? null)}::text[]) as f(id, status, code, reason)
    where e.id = locked.id and f.id = e.id`;
}

/** Schedules the next attempt; the caller adds its delayed job right after (the sweeper covers a crash in between). */
export async function rescheduleEffect(sql: postgres.Sql, id: string, delayMs: number, why: { code: string; reason: string }): Promise<void> {
  await sql`
    update fulfillment_effects set locked_until = null, next_attempt_at = now() + ${delayMs} * interval '1 millisecond',
      enqueued_at = now(), sweep_at = ${sweepAfterJob(sql, sql`now() + ${delayMs} * interval '1 millisecond'`)},
      last_code = ${why.code}, last_error = ${why.reason}
    where id = ${id}`;
}

/** Records a 410: effects to this receiver are skipped until an operator retries one of them. */
export async function disableTarget(sql: postgres.Sql, kind: string, target: string, reason: string): Promise<void> {
  await sql`
    insert into effect_targets_disabled (kind, target, reason, disabled_at) values (${kind}, ${target}, ${reason}, now())
    on conflict (kind, target) do update set reason = excluded.reason, disabled_at = excluded.disabled_at`;
}

export interface DueEffect {
  readonly id: string;
  readonly kind: string;
  readonly attempts: number;
  readonly delayMs: number;
}

/**
 * How long after its job was added a pending row is left to that job: past it (and due, and not in flight)
 * the sweep adds its job again, in case Redis lost it.
 */
export const JOB_GRACE_MS = 30_000;

/** `sweep_at` for a row whose job was added now and which is due at `due` (a fragment of the same statement). */
function sweepAfterJob(sql: postgres.Sql, due: postgres.PendingQuery<postgres.Row[]>) {
  return sql`greatest(${due} - interval '1 second', now() + ${JOB_GRACE_MS} * interval '1 millisecond')`;
}

/**
 * Pending effects with no delivery in flight whose job may be lost (none was added, or it was added over
 * JOB_GRACE_MS ago, or its attempt's process died: an expired lease says so at once), due within a second:
 * stamps and returns them, longest overdue first. It reads only such rows (`sweep_at`,
 * indexed for pending rows): an outage with 100,000 effects waiting costs each sweep nothing, where a scan of
 * every pending due row (the first design) cost 50 ms of Postgres for 20,000 of them, every second, in every
 * worker process. `SKIP LOCKED` lets every dispatcher sweep at once without two of them taking the same rows.
 */
export async function sweepEffects(sql: postgres.Sql, limit: number): Promise<DueEffect[]> {
  const rows = await sql<{ id: string; kind: string; attempts: number; delay_ms: number }[]>`
    update fulfillment_effects e set enqueued_at = now(), sweep_at = ${sweepAfterJob(sql, sql`e.next_attempt_at`)}
    from (
      select id from fulfillment_effects
      where status = 'pending' and sweep_at <= now()
        and next_attempt_at <= now() + interval '1 second' and (locked_until is null or locked_until < now())
      order by sweep_at
      limit ${limit}
      for update skip locked
    ) due
    where e.id = due.id
    returning e.id, e.kind, e.attempts, greatest(0, extract(epoch from e.next_attempt_at - now()) * 1000)::int as delay_ms`;
  return rows.map((r) => ({ id: String(r.id), kind: r.kind, attempts: r.attempts, delayMs: r.delay_ms }));
}
