import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../../src/emulator/ids.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * `async_payment_failed` and `async_payment_succeeded` are decided from the session and its PaymentIntent as
 * Stripe has them when the run reads them, never from the event's name (reconciliation already worked so).
 * The emulator holds a delayed debit's PaymentIntent `processing` until the test settles it.
 */
describe('delayed payments decided from Stripe, not from the event type', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.close());

  const store = () => stack.emulator.store;
  /** The same session's event under another type: what an early, replayed or out-of-order delivery looks like. */
  const asType = (event: Stripe.Event, type: Stripe.Event.Type): Stripe.Event => ({ ...event, id: randomId('evt_', 24), type }) as Stripe.Event;
  const runOf = (eventId: string) =>
    waitFor(async () => (await stack.queue.getJobs(['completed'])).find((j) => j.data.eventId === eventId), `the run of ${eventId}`);

  it('async_payment_failed while the PaymentIntent is processing changes nothing; once Stripe says it failed, payment_failed', async () => {
    const s = store().createSession({ lineItems: items(1) });
    const completed = store().complete(s.id, { paymentStatus: 'unpaid' });
    await stack.emulator.webhooks.send(completed);
    await waitForStatus(stack, s.id, 'awaiting_payment');
    const pi = (store().peek(s.id)?.session as Stripe.Checkout.Session).payment_intent as string;
    expect((await stack.stripe.paymentIntents.retrieve(pi)).status).toBe('processing');

    const early = asType(completed, 'checkout.session.async_payment_failed');
    await stack.emulator.webhooks.send(early);
    const run = await runOf(early.id);
    expect(run.returnvalue).toMatchObject({ status: 'awaiting_payment', changed: false });
    expect((await status(stack, s.id)).body.status).toBe('awaiting_payment');

    // Stripe now says the debit failed: the real event records it.
    await stack.emulator.webhooks.send(store().asyncPayment(s.id, 'failed'));
    const body = await waitForStatus(stack, s.id, 'payment_failed');
    expect(body.line_items).toEqual([]);
  });

  it('async_payment_failed for a session that Stripe says is paid fulfills it', async () => {
    const s = store().createSession({ lineItems: items(2) });
    const completed = store().complete(s.id, { paymentStatus: 'unpaid' });
    store().asyncPayment(s.id, 'succeeded');
    await stack.emulator.webhooks.send(asType(completed, 'checkout.session.async_payment_failed'));
    const body = await waitForStatus(stack, s.id, 'fulfilled');
    expect(body.line_items).toHaveLength(2);
  });

  it('async_payment_succeeded while the debit is still processing records awaiting_payment, not fulfilled; the real one fulfills', async () => {
    const s = store().createSession({ lineItems: items(1) });
    const completed = store().complete(s.id, { paymentStatus: 'unpaid' });
    const early = asType(completed, 'checkout.session.async_payment_succeeded');
    await stack.emulator.webhooks.send(early);
    const run = await runOf(early.id);
    expect(run.returnvalue).toMatchObject({ status: 'awaiting_payment' });
    expect((await status(stack, s.id)).body.status).toBe('awaiting_payment');
    await stack.emulator.webhooks.send(store().asyncPayment(s.id, 'succeeded'));
    await waitForStatus(stack, s.id, 'fulfilled');
  });
});
