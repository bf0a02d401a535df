import type postgres from 'postgres';
import type { EffectStatus } from '../db/schema.js';

/** What operators see of an effect (CLI `effects list`). */
export interface EffectSummary {
  readonly id: string;
  readonly session_id: string;
  readonly kind: string;
  readonly target: string;
  readonly status: EffectStatus;
  readonly attempts: number;
  readonly next_attempt_at: string;
  readonly last_code: string | null;
  readonly last_error: string | null;
  readonly created_at: string;
}

export async function listEffects(sql: postgres.Sql, status: EffectStatus | undefined, limit: number): Promise<EffectSummary[]> {
  const rows = await sql<EffectSummary[]>`
    select id::text, session_id, kind, target, status, attempts, next_attempt_at::text, last_code, last_error, created_at::text
    from fulfillment_effects
    where ${status === undefined ? sql`true` : sql`status = ${status}`}
    order by id desc limit ${limit}`;
  return [...rows];
}

export type AdminResult = 'done' | 'not_found' | 'wrong_status';

/**
 * Makes a dead or skipped effect (or a pending one now) due again, with its attempts kept so its next job
 * id is new; re-enables its receiver if it had answered 410. No job is added here: the dispatchers' sweep
 * picks rows without one within a second, so this needs Postgres only.
 */
export async function retryEffect(sql: postgres.Sql, id: string): Promise<AdminResult> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ status: EffectStatus; kind: string; target: string }[]>`select status, kind, target from fulfillment_effects where id = ${id} for update`;
    if (row === undefined) return 'not_found';
    if (row.status === 'delivered') return 'wrong_status';
    await tx`delete from effect_targets_disabled where kind = ${row.kind} and target = ${row.target}`;
    // created_at restarts the retry horizon: the operator has fixed the cause.
    await tx`
      update fulfillment_effects set status = 'pending', next_attempt_at = now(), locked_until = null, enqueued_at = null, sweep_at = now(),
        finished_at = null, created_at = now(), last_code = 'retried_by_operator'
      where id = ${id}`;
    return 'done';
  }) as Promise<AdminResult>;
}

/** Gives an effect up on purpose: pending or dead → skipped. */
export async function skipEffect(sql: postgres.Sql, id: string): Promise<AdminResult> {
  const rows = await sql<{ status: EffectStatus }[]>`
    with target as (select id, status from fulfillment_effects where id = ${id} for update)
    update fulfillment_effects e set status = case when t.status in ('pending', 'dead') then 'skipped' else e.status end,
      finished_at = case when t.status in ('pending', 'dead') then now() else e.finished_at end,
      last_code = case when t.status in ('pending', 'dead') then 'skipped_by_operator' else e.last_code end
    from target t where e.id = t.id
    returning t.status`;
  const before = rows[0]?.status;
  if (before === undefined) return 'not_found';
  return before === 'pending' || before === 'dead' ? 'done' : 'wrong_status';
}
