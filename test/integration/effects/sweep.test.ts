import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryEffect } from '../../../src/effects/effect-admin.js';
import { JOB_GRACE_MS, claimEffects, finishEffects, rescheduleEffect, sweepEffects } from '../../../src/effects/effect-store.js';
import { freshDatabase, insertFulfilledSession, type TestDatabase } from '../../helpers/database.js';

/**
 * The sweep (a job for every pending effect whose job may be lost) reads only the rows it has to look at
 * now (`sweep_at`), on a real Postgres: however many effects wait with a live job, as in an SMTP outage.
 */
describe('the outbox sweep', () => {
  let db: TestDatabase;
  let session = 0;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  /** Pending effects of a new session; `jobAdded`: as a worker commits them (its job added right after). */
  async function effects(count: number, jobAdded: boolean): Promise<string[]> {
    const id = `cs_test_sweep_${++session}`;
    await insertFulfilledSession(db.sql, id);
    const rows = await db.sql<{ id: string }[]>`
      insert into fulfillment_effects (session_id, scope, kind, target, payload, status, next_attempt_at, enqueued_at, sweep_at, created_at)
      select ${id}, 'item_' || g, 'callback', 'http://127.0.0.1:1/hook', '{"order":null}'::jsonb, 'pending', now(),
        ${jobAdded ? db.sql`now()` : null}, ${jobAdded ? db.sql`now() + ${JOB_GRACE_MS} * interval '1 millisecond'` : db.sql`now()`}, now()
      from generate_series(1, ${count}) g
      returning id::text`;
    return rows.map((r) => String(r.id));
  }
  const sweptIds = async () => (await sweepEffects(db.sql, 2000)).map((d) => d.id).sort();

  it('takes a row without a job, an ended lease and an operator retry; leaves live jobs, live leases and later retries; each once', async () => {
    const [noJob] = await effects(1, false);
    await effects(1, true); // its job was just added: left to it
    const [endedLease, liveLease, later] = await effects(3, true);
    const [retried] = await effects(1, true);
    expect(await claimEffects(db.sql, [String(endedLease)], 1, ['callback'])).toMatchObject([{ claimed: true }]);
    expect(await claimEffects(db.sql, [String(liveLease), String(later)], 60_000, ['callback'])).toMatchObject([{ claimed: true }, { claimed: true }]);
    await rescheduleEffect(db.sql, String(later), 3_600_000, { code: 'callback_server_error', reason: 'HTTP 503' });
    await finishEffects(db.sql, [{ id: String(retried), status: 'dead', why: { code: 'callback_rejected', reason: 'HTTP 400' } }]);
    expect(await retryEffect(db.sql, String(retried))).toBe('done');
    await new Promise((r) => setTimeout(r, 20)); // the 1 ms lease has ended
    expect(await sweptIds()).toEqual([endedLease, noJob, retried].map(String).sort());
    // Stamped: their jobs are now live for JOB_GRACE_MS, so the next sweep leaves them.
    expect(await sweptIds()).toEqual([]);
  });

  it('reads only those rows, with 20,000 effects waiting on live jobs', async () => {
    for (let i = 0; i < 20; i++) await effects(1000, true);
    const lost = await effects(2, false);
    await db.sql`analyze fulfillment_effects`;
    // The sweep's own select (effect-store.ts), as Postgres runs it: every row it reads, kept or filtered out.
    const [plan] = await db.sql<{ 'QUERY PLAN': unknown }[]>`
      explain (analyze, format json)
      select id from fulfillment_effects
      where status = 'pending' and sweep_at <= now()
        and next_attempt_at <= now() + interval '1 second' and (locked_until is null or locked_until < now())
      order by sweep_at limit 2000`;
    const rowsRead = (node: Record<string, unknown>): number =>
      (String(node['Node Type']).includes('Scan') ? Number(node['Actual Rows']) + Number(node['Rows Removed by Filter'] ?? 0) : 0) +
      ((node.Plans as Record<string, unknown>[] | undefined) ?? []).reduce((sum, p) => sum + rowsRead(p), 0);
    const root = (plan?.['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]?.Plan ?? {};
    expect(rowsRead(root)).toBe(2);
    expect(await sweptIds()).toEqual([...lost].sort());
  });
});
