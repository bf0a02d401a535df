import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../../src/emulator/ids.js';
import { items, status, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Delayed payment methods, out-of-order delivery, and forward-only status. */
describe('payment flows', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.close());

  const store = () => stack.emulator.store;
  const send = (e: Stripe.Event) => stack.emulator.webhooks.send(e);

  it('completed (unpaid) then async_payment_succeeded after the first run finished → fulfilled', async () => {
    const s = store().createSession({ lineItems: items(2) });
    await send(store().complete(s.id, { paymentStatus: 'unpaid' }));
    await waitForStatus(stack, s.id, 'awaiting_payment');
    await send(store().asyncPayment(s.id, 'succeeded'));
    const body = await waitForStatus(stack, s.id, 'fulfilled');
    expect(body.line_items).toHaveLength(2);
  });

  it('async_payment_succeeded delivered before completed → fulfilled, and the late completed changes nothing', async () => {
    const s = store().createSession({ lineItems: items(2) });
    const completed = store().complete(s.id, { paymentStatus: 'unpaid' });
    const succeeded = store().asyncPayment(s.id, 'succeeded');
    await send(succeeded);
    const first = await waitForStatus(stack, s.id, 'fulfilled');
    await send(completed);
    await waitForQueueDrained(stack);
    expect(await waitForStatus(stack, s.id, 'fulfilled')).toEqual(first);
    expect(await storedLineItemCount(stack, s.id)).toBe(2);
  });

  it('async_payment_succeeded arriving while the completed (unpaid) run is still running → fulfilled', async () => {
    const s = store().createSession({ lineItems: items(2) });
    // Slow Stripe: the completed run's retrieve is in flight when the payment clears and the next event lands.
    stack.emulator.gate.knobs.latencyMs = 400;
    try {
      const before = stack.emulator.gate.stats.requests;
      void send(store().complete(s.id, { paymentStatus: 'unpaid' }));
      await waitFor(async () => ((await stack.queue.getActiveCount()) > 0 && stack.emulator.gate.stats.requests > before ? true : undefined), 'the completed run to be retrieving');
      await send(store().asyncPayment(s.id, 'succeeded'));
      await waitForStatus(stack, s.id, 'fulfilled');
    } finally {
      stack.emulator.gate.knobs.latencyMs = 0;
    }
    await waitForQueueDrained(stack);
    expect((await status(stack, s.id)).body.status).toBe('fulfilled');
    expect(await storedLineItemCount(stack, s.id)).toBe(2);
  });

  it('both events of a delayed payment, each delivered three times in a shuffled order → fulfilled once', async () => {
    const s = store().createSession({ lineItems: items(4) });
    const completed = store().complete(s.id, { paymentStatus: 'unpaid' });
    const succeeded = store().asyncPayment(s.id, 'succeeded');
    await stack.emulator.webhooks.sendShuffled([completed, succeeded], { duplicates: 2 });
    await waitForStatus(stack, s.id, 'fulfilled');
    await waitForQueueDrained(stack);
    expect(await storedLineItemCount(stack, s.id)).toBe(4);
    const runs = (await stack.queue.getJobs(['completed'])).filter((j) => j.data.sessionId === s.id);
    expect(runs).toHaveLength(2);
    expect(runs.filter((j) => j.returnvalue.changed && j.returnvalue.status === 'fulfilled')).toHaveLength(1);
  });

  it('async_payment_failed → payment_failed', async () => {
    const s = store().createSession({ lineItems: items(1) });
    await send(store().complete(s.id, { paymentStatus: 'unpaid' }));
    await waitForStatus(stack, s.id, 'awaiting_payment');
    await send(store().asyncPayment(s.id, 'failed'));
    const body = await waitForStatus(stack, s.id, 'payment_failed');
    expect(body.line_items).toEqual([]);
    expect(body.fulfilled_at).toBeNull();
  });

  it('a failure or expiry arriving after fulfilled changes nothing', async () => {
    const s = store().createSession({ lineItems: items(3) });
    const completed = store().complete(s.id, { paymentStatus: 'paid' });
    await send(completed);
    const fulfilled = await waitForStatus(stack, s.id, 'fulfilled');
    // Stripe would not send these for a paid session; a buggy or hostile sequence must still not regress it.
    for (const type of ['checkout.session.async_payment_failed', 'checkout.session.expired'] as const) {
      await send({ ...completed, id: randomId('evt_', 24), type } as Stripe.Event);
    }
    await waitForQueueDrained(stack);
    expect((await status(stack, s.id)).body).toEqual(fulfilled);
  });

  it('an expired session → expired', async () => {
    const s = store().createSession({ lineItems: items(1) });
    await send(store().expire(s.id));
    await waitForStatus(stack, s.id, 'expired');
  });

  it('a session of a connected account is retrieved with its Stripe-Account', async () => {
    const s = store().createSession({ lineItems: items(2) }, 'acct_1ConnectedExample');
    const event = store().complete(s.id, { paymentStatus: 'paid' }, 'acct_1ConnectedExample');
    expect(event.account).toBe('acct_1ConnectedExample');
    await send(event);
    const body = await waitForStatus(stack, s.id, 'fulfilled');
    expect(body.line_items).toHaveLength(2);
  });

  it('a session Stripe does not know fails at once, without retries', async () => {
    const s = store().createSession({ lineItems: items(1) });
    const event = store().complete(s.id, { paymentStatus: 'paid' });
    store().deleteSession(s.id);
    await send(event);
    const job = await waitFor(async () => (await stack.queue.getJobs(['failed'])).find((j) => j.data.sessionId === s.id), 'the job to fail');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/404 resource_missing/);
    expect((await status(stack, s.id)).code).toBe(404);
  });
});
