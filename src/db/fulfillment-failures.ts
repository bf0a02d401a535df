import type postgres from 'postgres';
import { storableText } from '../domain/storable.js';
import type { Db } from './client.js';
import { fulfillmentFailures } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';

const { eq } = orm;

/** A session whose fulfillment failed permanently on its own data, as `fulfillment_failures` holds it. */
export interface FulfillmentFailure {
  readonly code: string;
  readonly detail: string;
  readonly jobId: string | null;
  readonly failures: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
}

export interface FailureInput {
  readonly sessionId: string;
  readonly code: string;
  readonly detail: string;
  readonly jobId?: string | undefined;
  readonly trigger?: string | undefined;
}

/**
 * Records the failure in a statement of its own: the run's transaction rolled back, and this row must
 * outlive it. A repeat failure of the same session counts up and keeps the latest detail.
 */
export async function recordFailure(sql: postgres.Sql, input: FailureInput): Promise<void> {
  const now = new Date().toISOString();
  const detail = storableText(input.detail, 1000);
  await sql`
    insert into fulfillment_failures (session_id, code, detail, job_id, last_trigger, failures, first_failed_at, last_failed_at)
    values (${input.sessionId}, ${input.code}, ${detail}, ${input.jobId ?? null}, ${input.trigger ?? null}, 1, ${now}, ${now})
    on conflict (session_id) do update set code = excluded.code, detail = excluded.detail, job_id = excluded.job_id,
      last_trigger = excluded.last_trigger, failures = fulfillment_failures.failures + 1, last_failed_at = excluded.last_failed_at`;
}

const failureRead = perDb((db) => db.select().from(fulfillmentFailures).where(eq(fulfillmentFailures.sessionId, orm.sql.placeholder('id'))).prepare('session_failure'));

export async function findFailure(db: Db, sessionId: string): Promise<FulfillmentFailure | undefined> {
  const [row] = await failureRead(db).execute({ id: sessionId });
  if (row === undefined) return undefined;
  return {
    code: row.code,
    detail: row.detail,
    jobId: row.jobId,
    failures: row.failures,
    firstFailedAt: row.firstFailedAt.toISOString(),
    lastFailedAt: row.lastFailedAt.toISOString(),
  };
}

/** The ids among `ids` held for an operator: reconciliation does not run them again. */
export async function failedSessionIds(sql: postgres.Sql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{ session_id: string }[]>`select session_id from fulfillment_failures where session_id in ${sql(ids)}`;
  return new Set(rows.map((r) => r.session_id));
}

/** Forgets recorded failures (all, or those of `sessionIds`) once an operator has fixed the cause. */
export async function clearFailures(sql: postgres.Sql, sessionIds?: readonly string[]): Promise<number> {
  const result =
    sessionIds === undefined
      ? await sql`delete from fulfillment_failures`
      : sessionIds.length === 0
        ? { count: 0 }
        : await sql`delete from fulfillment_failures where session_id in ${sql(sessionIds)}`;
  return result.count;
}
