import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items, status, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

describe('core pipeline: webhook → queue → worker → Postgres', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.close());

  it('fulfills a paid session with 3 line items', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(3) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'paid', email: 'ada@example.com', name: 'Ada' }));

    const body = await waitForStatus(stack, session.id, 'fulfilled');
    expect(body).toMatchObject({ session_id: session.id, status: 'fulfilled', payment_status: 'paid' });
    expect(typeof body.fulfilled_at).toBe('string');
    const lineItems = body.line_items as Record<string, unknown>[];
    expect(lineItems).toHaveLength(3);
    const expected = stack.emulator.store.peek(session.id)?.lineItems ?? [];
    expect(lineItems.map((i) => i.id)).toEqual(expected.map((i) => i.id));
    expect(lineItems[0]).toEqual({
      id: expected[0]?.id,
      price: expected[0]?.price?.id,
      product: expected[0]?.price?.product,
      description: 'Item 1',
      quantity: 1,
      unit_amount: 1000,
      amount_total: 1000,
      currency: 'usd',
      access: 'active',
    });
    const [row] = await stack.db.sql`select customer_email, customer_name, amount_total, attempt_count, payment_intent from checkout_sessions where id = ${session.id}`;
    // The PaymentIntent is recorded with the fulfillment: a refund finds its order with no Stripe call.
    expect(row).toMatchObject({ customer_email: 'ada@example.com', customer_name: 'Ada', attempt_count: 1, payment_intent: stack.emulator.store.peek(session.id)?.session.payment_intent });
  });

  it('records all 250 line items of a session, past the first page', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(250) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'paid' }));

    const body = await waitForStatus(stack, session.id, 'fulfilled');
    // The status API shows the first 100 and counts them all (domain/line-item-bound.ts); Postgres holds all.
    expect(body.line_items).toHaveLength(100);
    expect(body.line_item_count).toBe(250);
    expect(await storedLineItemCount(stack, session.id)).toBe(250);
    const stored = await stack.db.sql<{ id: string }[]>`select id from checkout_line_items where session_id = ${session.id} order by position`;
    const ids = stored.map((i) => i.id);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual(stack.emulator.store.peek(session.id)?.lineItems.map((i) => i.id));
    expect((body.line_items as { id: string }[]).map((i) => i.id)).toEqual(ids.slice(0, 100));
  });

  it('grants access for digital items and creates shipments for physical ones, once', async () => {
    const session = stack.emulator.store.createSession({
      lineItems: [
        { name: 'E-book', unitAmount: 900, metadata: { fulfillment: 'access' } },
        { name: 'Mug', unitAmount: 1500, quantity: 2, metadata: { fulfillment: 'shipping' } },
        { name: 'Gift wrap', unitAmount: 200 },
      ],
      shippingCountries: ['FR'],
    });
    const shipping = { name: 'Ada Lovelace', address: { line1: '1 rue de Rivoli', line2: null, city: 'Paris', postal_code: '75001', state: null, country: 'FR' } };
    const completed = stack.emulator.store.complete(session.id, { paymentStatus: 'paid', email: 'ada@example.com', shipping });
    await stack.emulator.webhooks.send(completed, { duplicates: 2 });
    await waitForStatus(stack, session.id, 'fulfilled');
    await waitForQueueDrained(stack);

    const grants = await stack.db.sql`select product_name, customer_email, access_code from access_grants where session_id = ${session.id}`;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ product_name: 'E-book', customer_email: 'ada@example.com' });
    expect(String(grants[0]?.access_code)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const ships = await stack.db.sql`select quantity, ship_to_name, address::text as address, status from shipments where session_id = ${session.id}`;
    for (const ship of ships) ship.address = JSON.parse(ship.address as string);
    expect(ships).toEqual([{ quantity: 2, ship_to_name: 'Ada Lovelace', address: shipping.address, status: 'pending' }]);
  });

  it('answers 404 for a session never seen and 400 for a malformed id', async () => {
    expect(await status(stack, 'cs_test_neverseen123')).toEqual({ code: 404, body: { error: 'not_found' } });
    const bad = await status(stack, 'not-a-session');
    expect(bad.code).toBe(400);
    expect(bad.body.error).toBe('invalid_session_id');
  });
});
