import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items, status, storedLineItemCount, waitForStatus } from './helpers/sessions.js';
import { startStack, type Stack } from './helpers/stack.js';

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
    });
    const [row] = await stack.db.sql`select customer_email, customer_name, amount_total, attempt_count from checkout_sessions where id = ${session.id}`;
    expect(row).toMatchObject({ customer_email: 'ada@example.com', customer_name: 'Ada', attempt_count: 1 });
  });

  it('records all 250 line items of a session, past the first page', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(250) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'paid' }));

    const body = await waitForStatus(stack, session.id, 'fulfilled');
    expect(body.line_items).toHaveLength(250);
    expect(await storedLineItemCount(stack, session.id)).toBe(250);
    const ids = (body.line_items as { id: string }[]).map((i) => i.id);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual(stack.emulator.store.peek(session.id)?.lineItems.map((i) => i.id));
  });

  it('answers 404 for a session never seen and 400 for a malformed id', async () => {
    expect(await status(stack, 'cs_test_neverseen123')).toEqual({ code: 404, body: { error: 'not_found' } });
    const bad = await status(stack, 'not-a-session');
    expect(bad.code).toBe(400);
    expect(bad.body.error).toBe('invalid_session_id');
  });
});
