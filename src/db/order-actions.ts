import type postgres from 'postgres';
import type { ActionEntry, DeskAction } from '../domain/order-history.js';
import type { EffectStatus } from './schema.js';
import { insertHistory } from './order-history.js';

/** How an operator's action ended. */
export type ActionResult = 'done' | 'not_found' | 'wrong_status';

/** Who acted and from where: the Basic auth user (desk) or `<os user>` (CLI). */
export interface Actor {
  readonly name: string;
  readonly via: ActionEntry['via'];
}

type Tx = postgres.TransactionSql;

/**
 * Makes a dead or skipped effect (or a pending one now) due again, with its attempts kept so its next job id is
 * new; re-enables its receiver if it had answered 410. No job is added: the dispatchers' sweep picks rows
 * without one within a second, so this needs Postgres only. `sessionId`: only an effect of that order.
 */
export async function retryEffectIn(tx: Tx, id: string, sessionId?: string): Promise<ActionResult> {
  const [row] = await tx<{ status: EffectStatus; kind: string; target: string; session_id: string }[]>`
    select status, kind, target, session_id from fulfillment_effects where id = ${id} for update`;
  if (row === undefined || (sessionId !== undefined && row.session_id !== sessionId)) return 'not_found';
  if (row.status === 'delivered') return 'wrong_status';
  await tx`delete from effect_targets_disabled where kind = ${row.kind} and target = ${row.target}`;
  // created_at restarts the retry horizon: the operator has fixed the cause.
  await tx`
    update fulfillment_effects set status = 'pending', next_attempt_at = now(), locked_until = null, enqueued_at = null, sweep_at = now(),
      finished_at = null, created_at = now(), last_code = 'retried_by_operator'
    where id = ${id}`;
  return 'done';
}

/** Gives an effect up on purpose: pending or dead → skipped. */
export async function skipEffectIn(tx: Tx, id: string, sessionId?: string): Promise<ActionResult> {
  const [row] = await tx<{ status: EffectStatus; session_id: string }[]>`select status, session_id from fulfillment_effects where id = ${id} for update`;
  if (row === undefined || (sessionId !== undefined && row.session_id !== sessionId)) return 'not_found';
  if (row.status !== 'pending' && row.status !== 'dead') return 'wrong_status';
  await tx`update fulfillment_effects set status = 'skipped', finished_at = now(), last_code = 'skipped_by_operator', locked_until = null where id = ${id}`;
  return 'done';
}

/**
 * A new receipt: a copy of the order's receipt email under a scope of its own (`resend-<n>`), so it is a new
 * effect with its own idempotency key (Message-ID) that the outbox delivers like any other; the sweep takes it
 * within a second. `not_found`: the order has no receipt to copy (no email address, or not fulfilled).
 */
export async function resendReceiptIn(tx: Tx, sessionId: string): Promise<{ result: ActionResult; effectId?: string }> {
  const [original] = await tx<{ kind: string; target: string; payload: unknown }[]>`
    select kind, target, payload from fulfillment_effects
    where session_id = ${sessionId} and kind = 'email' and scope = 'order' and target <> '' and coalesce(payload->>'template', '') <> 'payment_failed'
    order by id limit 1`;
  if (original === undefined) return { result: 'not_found' };
  const [{ n } = { n: 0 }] = await tx<{ n: number }[]>`
    select count(*)::int as n from fulfillment_effects where session_id = ${sessionId} and kind = 'email' and scope like 'resend-%'`;
  const payload = typeof original.payload === 'string' ? original.payload : JSON.stringify(original.payload);
  const [row] = await tx<{ id: string }[]>`
    insert into fulfillment_effects (session_id, scope, kind, target, payload, status, next_attempt_at, sweep_at, created_at)
    values (${sessionId}, ${`resend-${n + 1}`}, ${original.kind}, ${original.target}, ${payload}::jsonb, 'pending', now(), now(), now())
    returning id::text`;
  return { result: 'done', ...(row === undefined ? {} : { effectId: row.id }) };
}

/** Runs an action and its entry in the order's story in one transaction: the entry is there exactly when the act is. */
export async function actAndRecord(
  sql: postgres.Sql,
  sessionId: string,
  action: DeskAction,
  actor: Actor,
  act: (tx: Tx) => Promise<{ result: string; effectId?: string | undefined }>,
): Promise<{ result: string; effectId?: string | undefined }> {
  return sql.begin(async (tx) => {
    const done = await act(tx);
    const entry: ActionEntry = { kind: 'action', action, result: done.result, via: actor.via, ...(done.effectId === undefined ? {} : { effectId: done.effectId }) };
    await insertHistory(tx, [{ sessionId, actor: actor.name, detail: entry }]);
    return done;
  }) as Promise<{ result: string; effectId?: string | undefined }>;
}
