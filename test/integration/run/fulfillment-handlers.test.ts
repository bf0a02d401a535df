import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRun } from '../../../src/run/record-run.js';
import type { EmailEffectPayload } from '../../../src/effects/effect.js';
import { EmulatorStore } from '../../../src/emulator/store.js';
import { accessGrants } from '../../../src/fulfillment/built-in/grant-access.schema.js';
import { shipments } from '../../../src/fulfillment/built-in/create-shipments.schema.js';
import { defineEffectKind, defineHandler, drizzleOrm, type EffectKind, type FulfillmentHandler } from '../../../src/fulfillment/index.js';
import { fulfillmentHandlers } from '../../../src/fulfillment/registry.js';
import { freshDatabase, type TestDatabase } from '../../helpers/database.js';

/** A kind of the test's own, as a merchant declares one. */
const lms = defineEffectKind<{ course?: string | null; n?: number }>('lms');

/** The handler API on a real database: what handlers write, which items they get, and the outbox rows. */
describe('fulfillment handlers', () => {
  let db: TestDatabase;
  const store = new EmulatorStore(() => 'http://127.0.0.1');
  const builtIns = fulfillmentHandlers({ callbackUrls: ['http://127.0.0.1:1/a', 'http://127.0.0.1:1/b'], smtpUrl: 'smtp://127.0.0.1:1' });
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  function paid(email: string | undefined): { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] } {
    const s = store.createSession({
      lineItems: [
        { name: 'E-book', unitAmount: 900, metadata: { fulfillment: 'access' } },
        { name: 'Mug', unitAmount: 1500, quantity: 2, metadata: { fulfillment: 'shipping' } },
        { name: 'Course', unitAmount: 5000, metadata: { fulfillment: 'course' } },
      ],
    });
    store.complete(s.id, { paymentStatus: 'paid', ...(email === undefined ? {} : { email }) });
    const stored = store.peek(s.id);
    if (stored === undefined) throw new Error('session missing');
    const session = email === undefined ? { ...stored.session, customer_details: null, customer_email: null } : stored.session;
    // As the worker retrieves them: with `data.price.product` expanded.
    const lineItems = stored.lineItems.map((item) => {
      const product = store.product(String(item.price?.product));
      return { ...item, price: { ...item.price, product } } as Stripe.LineItem;
    });
    return { session, lineItems };
  }

  const run = (input: ReturnType<typeof paid>, handlers: readonly FulfillmentHandler[]) =>
    recordRun(db.sql, { ...input, target: 'fulfilled', trigger: 'checkout.session.completed' }, handlers);

  it('runs each handler with the items it takes; the receipt carries every note; one callback per URL', async () => {
    const seen: string[] = [];
    const course = defineHandler({
      name: 'course',
      takes: { fulfillment: 'course' },
      async fulfill({ lineItems, note, effect, db: hdb, session }) {
        seen.push(...lineItems.map((i) => i.description ?? ''));
        for (const item of lineItems) {
          note('Starts Monday', item.id);
          effect(lms, { course: item.description }, { target: 'lms.example', lineItemId: item.id });
        }
        // drizzle inside the same transaction sees the rows written before it.
        const grants = await hdb.drizzle.select().from(accessGrants).where(eq(accessGrants.sessionId, session.id));
        note(`${grants.length} grant(s) so far`);
        // The public API's drizzleOrm (the service's own copy of drizzle) and 'drizzle-orm' imported directly
        // (another copy, as a merchant may) build the same query.
        const same = await hdb.drizzle.select().from(accessGrants).where(drizzleOrm.eq(accessGrants.sessionId, session.id));
        note(`${same.length} grant(s) both ways`);
      },
    });
    const never = defineHandler({ name: 'never', takes: { price: 'price_nope' }, fulfill: async () => void seen.push('never') });
    const input = paid('ada@example.com');
    const outcome = await run(input, [...builtIns, course, never]);
    expect(seen).toEqual(['Course']);
    expect(outcome.newEffects?.map((e) => e.kind).sort()).toEqual(['callback', 'callback', 'email', 'lms']);

    const effects = await db.sql<{ kind: string; scope: string; target: string; status: string; payload: unknown }[]>`
      select kind, scope, target, status, payload from fulfillment_effects where session_id = ${input.session.id} order by id`;
    expect(effects.map((e) => [e.kind, e.target, e.status])).toEqual([
      ['lms', 'lms.example', 'pending'],
      ['email', 'ada@example.com', 'pending'],
      ['callback', 'http://127.0.0.1:1/a', 'pending'],
      ['callback', 'http://127.0.0.1:1/b', 'pending'],
    ]);
    const receipt = effects[1]?.payload as EmailEffectPayload;
    expect(receipt.to).toBe('ada@example.com');
    expect(receipt.order.lineItems).toHaveLength(3);
    expect(receipt.order.notes.map((n) => n.text)).toEqual([
      expect.stringMatching(/^Yours now\. Access code: [A-Za-z0-9_-]{16}$/),
      'Ships to Jenny Rosen.',
      'Starts Monday',
      '1 grant(s) so far',
      '1 grant(s) both ways',
    ]);
    const notes = await db.sql`select line_item_id, text, display from fulfillment_notes where session_id = ${input.session.id} order by position`;
    expect(notes).toHaveLength(6);
    expect(notes[4]).toEqual({ line_item_id: null, text: '1 grant(s) so far', display: null });
    expect(notes[5]).toEqual({ line_item_id: null, text: '1 grant(s) both ways', display: null });
    // How the order page shows each note is the handler's declaration, stored with it.
    const code = /Access code: (\S+)$/.exec(String(notes[0]?.text))?.[1];
    expect(notes[0]?.display).toEqual({ heading: 'What you have now', codes: [code], later: 'Yours.' });
    // The shipment's line is for the order page only (inReceipt: false): stored, but not in the receipt above.
    expect(notes[2]).toEqual({ line_item_id: null, text: 'Mug × 2', display: { heading: 'Shipping', group: 'Preparing to ship', public: true } });

    // db.insert converted the Date and the json address through the drizzle columns.
    const [ship] = await db.db.select().from(shipments).where(eq(shipments.sessionId, input.session.id));
    expect(ship?.createdAt).toBeInstanceOf(Date);
    expect(ship?.quantity).toBe(2);
  });

  it('a session without an email records the receipt as skipped, and nothing else is held up', async () => {
    const input = paid(undefined);
    const outcome = await run(input, fulfillmentHandlers({ callbackUrls: [] }));
    expect(outcome.newEffects).toEqual([]);
    const rows = await db.sql`select kind, status, last_code, last_error from fulfillment_effects where session_id = ${input.session.id}`;
    expect(rows).toEqual([{ kind: 'email', status: 'skipped', last_code: 'skipped_by_handler', last_error: 'the session has no customer email' }]);
  });

  it('an effect scheduled twice with the same key is stored once', async () => {
    const twice = defineHandler({
      name: 'twice',
      takes: 'order',
      async fulfill({ effect }) {
        effect(lms, { n: 1 }, { target: 'x' });
        effect(lms, { n: 2 }, { target: 'x' });
      },
    });
    const input = paid('b@example.com');
    const outcome = await run(input, [twice]);
    expect(outcome.newEffects).toHaveLength(1);
  });

  it('an insert that fails in Postgres fails the whole run with its own error, though the handler went on without waiting', async () => {
    let wentOn = false;
    // grant-access has already inserted a grant for each of these items: the same keys again violate the primary key.
    const again = defineHandler({
      name: 'again',
      takes: { fulfillment: 'access' },
      async fulfill({ db: hdb, session, lineItems, fulfilledAt, effect }) {
        await hdb.insert(
          accessGrants,
          lineItems.map((item) => ({ sessionId: session.id, lineItemId: item.id, productId: 'p', productName: 'n', accessCode: 'c', customerEmail: null, grantedAt: fulfilledAt })),
        );
        wentOn = true;
        effect(lms, {}, { target: 'x' });
      },
    });
    const input = paid('d@example.com');
    await expect(run(input, [...builtIns, again])).rejects.toMatchObject({ code: '23505', table_name: 'access_grants' });
    expect(wentOn).toBe(true);
    for (const table of ['checkout_sessions', 'checkout_line_items', 'access_grants', 'shipments', 'fulfillment_notes', 'fulfillment_effects']) {
      const key = table === 'checkout_sessions' ? 'id' : 'session_id';
      expect(await db.sql`select 1 from ${db.sql(table)} where ${db.sql(key)} = ${input.session.id}`, table).toHaveLength(0);
    }
  });

  it('a bad effect kind fails the run with a stable code and leaves nothing behind', async () => {
    // defineEffectKind refuses such a name at once; a hand-made kind object reaches the run, which refuses it too.
    expect(() => defineEffectKind('Bad Kind!')).toThrow(/must match/);
    const badKind = { name: 'Bad Kind!' } as EffectKind<object>;
    const bad = defineHandler({ name: 'bad', takes: 'order', fulfill: async ({ effect }) => effect(badKind, {}) });
    const input = paid('c@example.com');
    await expect(run(input, [...builtIns, bad])).rejects.toMatchObject({ code: 'invalid_effect' });
    expect(await db.sql`select 1 from checkout_sessions where id = ${input.session.id}`).toHaveLength(0);
  });
});
