import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalSessionIds } from '../../../src/db/final-sessions.js';
import { FINAL_STATUSES, SESSION_STATUSES } from '../../../src/domain/session-status.js';
import { freshDatabase, type TestDatabase } from '../../helpers/database.js';

/** One list of statuses: the migrated check constraint and the SQL lists say what the domain says. */
describe('session statuses have one source of truth', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  const insert = (id: string, status: string) =>
    db.sql`insert into checkout_sessions (id, status, payment_status, livemode) values (${id}, ${status}, 'paid', false)`;

  it('the check constraint accepts exactly the domain statuses', async () => {
    for (const status of SESSION_STATUSES) await insert(`cs_test_status_${status}`, status);
    await expect(insert('cs_test_status_bogus', 'refunded')).rejects.toMatchObject({ code: '23514', constraint_name: 'checkout_sessions_status_check' });
    const [row] = await db.sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'checkout_sessions_status_check'`;
    const listed = [...(row?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    expect(listed).toEqual([...SESSION_STATUSES]);
  });

  it('finalSessionIds finds exactly the final ones', async () => {
    const ids = SESSION_STATUSES.map((s) => `cs_test_status_${s}`);
    const final = await finalSessionIds(db.sql, ids);
    expect([...final].sort()).toEqual(FINAL_STATUSES.map((s) => `cs_test_status_${s}`).sort());
  });
});
