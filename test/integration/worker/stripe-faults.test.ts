import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Stripe answering 429 and 5xx for a while: retries (the SDK's, then the job's) carry every session through. */
describe('Stripe rate limits and server errors', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ attempts: 12, backoffMs: 100 });
  });
  afterAll(async () => stack.close());

  it('fulfills every session and leaves no job failed', { timeout: 120_000 }, async () => {
    const { store, gate, webhooks } = stack.emulator;
    const sessions = Array.from({ length: 40 }, () => store.createSession({ lineItems: items(15) }));
    Object.assign(gate.knobs, { maxRps: 20, errorRate: 0.3 });
    gate.resetStats();
    try {
      // Events without `created`: the worker cannot batch their reads, so each run retrieves its session
      // alone and the faults meet a request per session, not a few shared list requests.
      const unbatchable = (e: Stripe.Event): Stripe.Event => {
        const object: Record<string, unknown> = { ...(e.data.object as unknown as Record<string, unknown>), created: undefined };
        return { ...e, data: { object } } as unknown as Stripe.Event;
      };
      await Promise.all(sessions.map((s) => webhooks.send(unbatchable(store.complete(s.id, { paymentStatus: 'paid' })))));
      // Let the faults bite before lifting them.
      // Each 429 holds the fleet's intake for a second (the job is put back, no attempt used), so the
      // work sees only a handful of them: 7 to 10 in all on this test's runs.
      await waitFor(() => (gate.stats.rateLimited >= 4 && gate.stats.serverErrors > 10 ? true : undefined), 'Stripe faults to be served', 60_000);
    } finally {
      Object.assign(gate.knobs, { maxRps: 0, errorRate: 0 });
    }
    for (const s of sessions) await waitForStatus(stack, s.id, 'fulfilled', 60_000);
    await waitForQueueDrained(stack);
    expect(await stack.queue.getFailedCount()).toBe(0);
    for (const s of sessions) expect(await storedLineItemCount(stack, s.id)).toBe(15);
    expect(gate.stats.rateLimited).toBeGreaterThanOrEqual(4);
    expect(gate.stats.serverErrors).toBeGreaterThan(10);
  });
});
