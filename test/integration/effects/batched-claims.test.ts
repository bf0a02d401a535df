import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimEffects, finishEffects, type Claim } from '../../../src/effects/effect-store.js';
import { groupCommit } from '../../../src/lib/group-commit.js';
import { freshDatabase, insertFulfilledSession, type TestDatabase } from '../../helpers/database.js';

const LEASE_MS = 60_000;
const KINDS_ON = ['email', 'callback'];

/** The dispatcher's claims and finishes, many per statement, on a real Postgres. */
describe('claims and finishes gathered into one statement', () => {
  let db: TestDatabase;
  let session = 0;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  /** A session with one effect per entry; returns their ids in order. */
  async function effects(...rows: { kind?: string; target?: string; dueInSeconds?: number; lockedForSeconds?: number; status?: string }[]): Promise<string[]> {
    const id = `cs_test_batch_${++session}`;
    await insertFulfilledSession(db.sql, id);
    const ids: string[] = [];
    for (const [i, r] of rows.entries()) {
      const [row] = await db.sql<{ id: string }[]>`
        insert into fulfillment_effects (session_id, scope, kind, target, payload, status, next_attempt_at, locked_until, created_at, last_code)
        values (${id}, ${`item_${i}`}, ${r.kind ?? 'callback'}, ${r.target ?? 'http://127.0.0.1:1/hook'}, '{"order":null}'::jsonb, ${r.status ?? 'pending'},
          now() + ${r.dueInSeconds ?? 0} * interval '1 second',
          ${r.lockedForSeconds === undefined ? null : db.sql`now() + ${r.lockedForSeconds} * interval '1 second'`}, now(), 'earlier_failure')
        returning id::text`;
      ids.push(String(row?.id));
    }
    return ids;
  }
  const rowOf = async (id: string) =>
    (await db.sql<{ status: string; attempts: number; locked: boolean; last_code: string | null; last_error: string | null }[]>`
      select status, attempts, locked_until is not null as locked, last_code, last_error from fulfillment_effects where id = ${id}`)[0];

  it('answers each id in order: claimed, early, in flight, finished, twice, disabled target, kind off', async () => {
    const [due, early, inFlight, delivered, gone, off] = await effects(
      {},
      { dueInSeconds: 30 },
      { lockedForSeconds: 30 },
      { status: 'delivered' },
      { target: 'http://127.0.0.1:1/gone' },
      { kind: 'sms' },
    );
    await db.sql`insert into effect_targets_disabled (kind, target, reason, disabled_at) values ('callback', 'http://127.0.0.1:1/gone', 'HTTP 410', now())`;
    const ids = [due, early, inFlight, delivered, due, gone, off].map(String);
    const claims = await claimEffects(db.sql, ids, LEASE_MS, KINDS_ON);
    expect(claims.map((c) => (c.claimed ? 'claimed' : c.reason))).toEqual(['claimed', 'not_due', 'not_claimable', 'not_claimable', 'not_claimable', 'target_disabled', 'kind_off']);
    const first = claims[0] as Extract<Claim, { claimed: true }>;
    expect(first.effect).toMatchObject({ id: due, kind: 'callback', attempts: 0, payload: { order: null } });
    const notDue = claims[1] as Extract<Claim, { reason: 'not_due' }>;
    expect(notDue.dueInMs).toBeGreaterThan(20_000);
    expect(await rowOf(String(due))).toMatchObject({ status: 'pending', attempts: 1, locked: true });
    expect(await rowOf(String(early))).toMatchObject({ status: 'pending', attempts: 0, locked: false });
    expect(await rowOf(String(gone))).toMatchObject({ status: 'skipped', last_code: 'target_disabled', locked: false });
    expect(await rowOf(String(off))).toMatchObject({ status: 'skipped', last_code: 'kind_off' });
  });

  it('finishes several effects at once; a delivery keeps the earlier failure code, a death records its own', async () => {
    const ids = (await effects({}, {}, {})).map(String);
    const claims = await claimEffects(db.sql, ids, LEASE_MS, KINDS_ON);
    expect(claims.every((c) => c.claimed)).toBe(true);
    await finishEffects(db.sql, [
      { id: ids[0] ?? '', status: 'delivered', why: undefined },
      { id: ids[1] ?? '', status: 'dead', why: { code: 'smtp_rejected', reason: '550 no such user' } },
      { id: ids[2] ?? '', status: 'skipped', why: { code: 'by_operator', reason: 'skipped by hand' } },
    ]);
    expect(await rowOf(ids[0] ?? '')).toMatchObject({ status: 'delivered', locked: false, last_code: 'earlier_failure' });
    expect(await rowOf(ids[1] ?? '')).toMatchObject({ status: 'dead', locked: false, last_code: 'smtp_rejected', last_error: '550 no such user' });
    expect(await rowOf(ids[2] ?? '')).toMatchObject({ status: 'skipped', last_code: 'by_operator' });
  });

  it('concurrent claims share statements, and each effect is claimed once even when two batchers race over the same rows', async () => {
    const ids = (await effects(...Array.from({ length: 40 }, () => ({})))).map(String);
    let statements = 0;
    const batcher = () =>
      groupCommit((batch: readonly string[]) => {
        statements++;
        return claimEffects(db.sql, batch, LEASE_MS, KINDS_ON);
      }, 100);
    const a = batcher();
    const b = batcher();
    // Both "dispatchers" ask for every effect, in opposite orders: rows are locked in id order, so no deadlock.
    const claims = await Promise.all([...ids.map((id) => a(id)), ...[...ids].reverse().map((id) => b(id))]);
    const claimed = claims.filter((c) => c.claimed).map((c) => c.effect.id);
    expect([...claimed].sort()).toEqual([...ids].sort());
    // The first call of each batcher goes alone; the 39 made meanwhile share the next statement.
    expect(statements).toBe(4);
    const rows = await db.sql<{ attempts: number }[]>`select attempts from fulfillment_effects where id = any(${ids}::bigint[])`;
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
  });

  it('a failed statement fails the calls it carried and no later ones', async () => {
    let calls = 0;
    const run = groupCommit(async (batch: readonly number[]) => {
      calls++;
      if (calls === 2) throw new Error('statement failed');
      return batch.map((n) => n * 2);
    }, 100);
    const results = await Promise.allSettled([run(1), run(2), run(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await run(4)).toBe(8);
  });
});
