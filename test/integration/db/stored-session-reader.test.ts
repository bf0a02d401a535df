import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedSessionReader } from '../../../src/db/final-sessions.js';
import { SESSION_STATUSES } from '../../../src/domain/session-status.js';
import { freshDatabase, type TestDatabase } from '../../helpers/database.js';

/**
 * The worker's pre-read (a run for a session already final asks Stripe nothing; one with nothing stored is
 * recorded as new), shared by concurrent runs.
 */
describe('storedSessionReader', () => {
  let db: TestDatabase;
  /** A client of its own that counts the statements it sends. */
  let sql: postgres.Sql;
  let statements = 0;
  beforeAll(async () => {
    db = await freshDatabase();
    sql = postgres(db.url, { max: 4, onnotice: () => {}, debug: () => statements++ });
    for (const status of SESSION_STATUSES) {
      await db.sql`insert into checkout_sessions (id, status, payment_status, livemode, customer_email)
        values (${`cs_test_reader${status}`}, ${status}, 'paid', false, ${`${status}@example.com`})`;
    }
  });
  afterAll(async () => {
    await sql.end();
    await db.drop();
  });

  it('answers each run for its own session: stored ones with status and email, unknown ones undefined', async () => {
    const read = storedSessionReader(sql);
    const ids = [...SESSION_STATUSES.map((s) => `cs_test_reader${s}`), 'cs_test_readerunknown', 'cs_test_readerfulfilled'];
    const answers = await Promise.all(ids.map(read));
    expect(answers).toEqual(
      ids.map((id) => {
        const status = id.slice('cs_test_reader'.length);
        return (SESSION_STATUSES as readonly string[]).includes(status) ? { status, customerEmail: `${status}@example.com` } : undefined;
      }),
    );
  });

  it('the runs that ask in one turn of the event loop share one statement; a later run has its own', async () => {
    const read = storedSessionReader(sql);
    statements = 0;
    const together = ['cs_test_readerexpired', 'cs_test_readerawaiting_payment', 'cs_test_readerfulfilled', 'cs_test_readernone', 'cs_test_readerexpired'].map(read);
    expect((await Promise.all(together)).map((r) => r?.status)).toEqual(['expired', 'awaiting_payment', 'fulfilled', undefined, 'expired']);
    expect(statements).toBe(1);
    await expect(read('cs_test_readerpayment_failed')).resolves.toMatchObject({ status: 'payment_failed' });
    expect(statements).toBe(2);
  });

  it('an id Postgres refuses fails its own run only, and the reader goes on reading', async () => {
    const read = storedSessionReader(sql);
    // A NUL is not valid text for Postgres: that statement fails; the ids read with it are read again alone.
    const [bad, good, unknown] = await Promise.allSettled([read('cs_test_bad\u0000'), read('cs_test_readerexpired'), read('cs_test_readernone')]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
    expect(good).toEqual({ status: 'fulfilled', value: { status: 'expired', customerEmail: 'expired@example.com' } });
    expect(unknown).toEqual({ status: 'fulfilled', value: undefined });
    await expect(read('cs_test_readerfulfilled')).resolves.toMatchObject({ status: 'fulfilled' });
  });
});
