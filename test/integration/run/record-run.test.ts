import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orm } from '../../../src/db/drizzle.js';
import { recordRun } from '../../../src/run/record-run.js';
import { recordLineItems } from '../../../src/fulfillment/built-in/record-line-items.js';
import { defineHandler, type FulfillmentHandler } from '../../../src/fulfillment/index.js';
import { EmulatorStore } from '../../../src/emulator/store.js';
import { freshDatabase, type TestDatabase } from '../../helpers/database.js';
import { items } from '../../helpers/sessions.js';
import { sleep } from '../../helpers/wait.js';

/** The transaction itself, with two real connections interleaved on purpose. */
describe('recordRun', () => {
  let db: TestDatabase;
  const stripe = new EmulatorStore(() => 'http://127.0.0.1');
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  function paidSession(n: number): { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] } {
    const s = stripe.createSession({ lineItems: items(n) });
    stripe.complete(s.id, { paymentStatus: 'paid' });
    const stored = stripe.peek(s.id);
    if (stored === undefined) throw new Error('session missing');
    return { session: stored.session, lineItems: stored.lineItems };
  }

  /** A fulfiller that counts its runs and can be held inside the transaction. */
  function gatedFulfiller() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const f: FulfillmentHandler & { runs: number } = {
      name: 'gated',
      takes: 'order',
      runs: 0,
      async fulfill() {
        f.runs++;
        entered();
        await gate;
      },
    };
    return { f, release, inside };
  }

  it('a second run that starts while the first holds the session waits, then finds it fulfilled', async () => {
    const { session, lineItems } = paidSession(4);
    // The row exists already (awaiting a delayed payment): the insert cannot serialise the runs.
    await recordRun(db.sql, { session: { ...session, payment_status: 'unpaid' }, lineItems: [], target: 'awaiting_payment', trigger: 'checkout.session.completed' }, []);

    const { f, release, inside } = gatedFulfiller();
    const input = { session, lineItems, target: 'fulfilled' as const, trigger: 'checkout.session.async_payment_succeeded' as const };
    const first = recordRun(db.sql, input, [recordLineItems, f]);
    await inside; // the first run is inside its transaction, row claimed
    const second = recordRun(db.sql, input, [recordLineItems, f]);
    await sleep(200); // give the second run every chance to get ahead
    release();
    const [a, b] = await Promise.all([first, second]);

    expect(f.runs).toBe(1);
    expect(a).toMatchObject({ status: 'fulfilled', changed: true, lineItemCount: 4 });
    expect(b).toMatchObject({ status: 'fulfilled', changed: false, lineItemCount: 0 });
    const [row] = await db.sql`select count(*)::int as n from checkout_line_items where session_id = ${session.id}`;
    expect(row?.n).toBe(4);
  });

  it('two first runs of a new session: one inserts and fulfills, the other finds it done', async () => {
    const { session, lineItems } = paidSession(3);
    const { f, release, inside } = gatedFulfiller();
    const input = { session, lineItems, target: 'fulfilled' as const, trigger: 'checkout.session.completed' as const };
    const first = recordRun(db.sql, input, [recordLineItems, f]);
    await inside;
    const second = recordRun(db.sql, input, [recordLineItems, f]);
    await sleep(200);
    release();
    const results = await Promise.all([first, second]);
    expect(f.runs).toBe(1);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
  });

  const failing = defineHandler({
    name: 'failing',
    takes: 'order',
    async fulfill() {
      throw new Error('warehouse unavailable');
    },
  });

  // expectNew: the one-round-trip path of a session the pre-read found nothing stored for (below).
  it.each([false, true])('a run that fails inside the transaction fails with its error, leaves nothing behind, and a retry fulfills (expectNew %s)', async (expectNew) => {
    const { session, lineItems } = paidSession(2);
    const input = { session, lineItems, target: 'fulfilled' as const, trigger: 'checkout.session.completed' as const, expectNew };
    await expect(recordRun(db.sql, input, [recordLineItems, failing])).rejects.toThrow('warehouse unavailable');
    expect(await db.sql`select 1 from checkout_sessions where id = ${session.id}`).toHaveLength(0);
    expect(await recordRun(db.sql, input, [recordLineItems])).toMatchObject({ status: 'fulfilled', changed: true, lineItemCount: 2 });
  });

  describe('a session the pre-read found nothing stored for (expectNew: one round trip)', () => {
    const attempts = async (id: string) => (await db.sql<{ n: number }[]>`select attempt_count as n from checkout_sessions where id = ${id}`)[0]?.n;
    const itemCount = async (id: string) => (await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_line_items where session_id = ${id}`)[0]?.n;

    it('two runs that both saw nothing stored: both run their handlers, one commits, the other falls back and finds it done', async () => {
      const { session, lineItems } = paidSession(3);
      const { f, release, inside } = gatedFulfiller();
      const input = { session, lineItems, target: 'fulfilled' as const, trigger: 'checkout.session.completed' as const, expectNew: true };
      const first = recordRun(db.sql, input, [recordLineItems, f]);
      await inside; // its insert is in Postgres, uncommitted
      const second = recordRun(db.sql, input, [recordLineItems, f]);
      await sleep(200); // the second's insert now waits on the first's row
      release();
      const results = await Promise.all([first, second]);
      // The second ran its handlers before Postgres answered its insert; nothing of that run was kept.
      expect(f.runs).toBe(2);
      expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await itemCount(session.id)).toBe(3);
      expect(await attempts(session.id)).toBe(1);
    });

    it('a session stored meanwhile (awaiting a delayed payment) moves forward as on the general path', async () => {
      const { session, lineItems } = paidSession(2);
      await recordRun(db.sql, { session: { ...session, payment_status: 'unpaid' }, lineItems: [], target: 'awaiting_payment', trigger: 'checkout.session.completed' }, []);
      const outcome = await recordRun(db.sql, { session, lineItems, target: 'fulfilled', trigger: 'checkout.session.async_payment_succeeded', expectNew: true }, [recordLineItems]);
      expect(outcome).toMatchObject({ status: 'fulfilled', changed: true, lineItemCount: 2 });
      expect(await itemCount(session.id)).toBe(2);
      expect(await attempts(session.id)).toBe(2);
    });

    it("the session row's own error (not a conflict) fails the run with Postgres's code, not a later statement's, and nothing is stored", async () => {
      const { session, lineItems } = paidSession(1);
      // Reads inside the transaction, after the insert failed it: its own error is 25P02 ("transaction is aborted").
      const reader = defineHandler({
        name: 'reader',
        takes: 'order',
        async fulfill({ db: handlerDb }) {
          await handlerDb.drizzle.execute(orm.sql`select 1`);
        },
      });
      const input = { session: { ...session, amount_total: 2 ** 64 }, lineItems, target: 'fulfilled' as const, trigger: 'checkout.session.completed' as const, expectNew: true };
      await expect(recordRun(db.sql, input, [recordLineItems, reader])).rejects.toMatchObject({ code: '22003' });
      expect(await db.sql`select 1 from checkout_sessions where id = ${session.id}`).toHaveLength(0);
      expect(await itemCount(session.id)).toBe(0);
    });

    it('a run that is not fulfilling (unpaid) stores its status the same way', async () => {
      const { session } = paidSession(1);
      const outcome = await recordRun(db.sql, { session: { ...session, payment_status: 'unpaid' }, lineItems: [], target: 'awaiting_payment', trigger: 'checkout.session.completed', expectNew: true }, [recordLineItems]);
      expect(outcome).toMatchObject({ status: 'awaiting_payment', changed: true, lineItemCount: 0 });
      expect(await itemCount(session.id)).toBe(0);
      expect(await attempts(session.id)).toBe(1);
    });
  });
});
