import type postgres from 'postgres';
import type { EffectStatus } from '../db/schema.js';
import { retryEffectIn, skipEffectIn, type ActionResult } from '../db/order-actions.js';

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

export type AdminResult = ActionResult;

/** Retries an effect (db/order-actions.ts says how), in a transaction of its own. */
export async function retryEffect(sql: postgres.Sql, id: string): Promise<AdminResult> {
  return sql.begin((tx) => retryEffectIn(tx, id)) as Promise<AdminResult>;
}

/** Gives an effect up on purpose: pending or dead → skipped. */
export async function skipEffect(sql: postgres.Sql, id: string): Promise<AdminResult> {
  return sql.begin((tx) => skipEffectIn(tx, id)) as Promise<AdminResult>;
}
