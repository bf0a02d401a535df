import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconcileQueue, requestReconcile } from '../src/queue/reconcile-queue.js';
import { startProcess, waitForOutput, type RunningProcess } from './helpers/processes.js';
import { items, storedLineItemCount, waitForQueueDrained, waitForStatus } from './helpers/sessions.js';
import { startStack, type Stack } from './helpers/stack.js';

const RETRIEVE = 'GET /v1/checkout/sessions/:id';
const LIST = 'GET /v1/checkout/sessions';

/** Runs' session reads coalesced into list requests: a worker process, the emulator counting every request. */
describe('batched session reads', () => {
  let stack: Stack;
  let worker: RunningProcess;
  const count = (endpoint: string) => stack.emulator.gate.stats.byEndpoint[endpoint] ?? 0;

  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 30 });
    worker = startProcess('src/worker/main.ts', stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '40' }));
    await waitForOutput(worker, 'worker started');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await stack.close();
  });

  it('30 webhooks at once, raced by the landing page and reconciliation: each fulfilled once, with far fewer than 30 retrieves', async () => {
    const { store, webhooks } = stack.emulator;
    const ids = Array.from({ length: 30 }, () => store.createSession({ lineItems: items(5) }).id);
    const events = ids.map((id) => store.complete(id, { paymentStatus: 'paid' }));
    const before = { retrieve: count(RETRIEVE), list: count(LIST) };
    const reconcileQueue = createReconcileQueue(stack.producer, stack.prefix);
    await Promise.all([
      webhooks.sendShuffled(events),
      ...ids.slice(0, 5).map((id) => fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`).then((r) => r.text())),
      requestReconcile(reconcileQueue, 3600_000),
    ]);
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 60_000);
    await waitForQueueDrained(stack);
    await reconcileQueue.close();
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(5);
    // Exactly once: one receipt effect per session however many runs (webhook, landing, reconciliation) recorded it.
    const [dupes] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from (select session_id from fulfillment_effects where session_id = any(${ids}) and kind = 'receipt_email' group by session_id having count(*) > 1) d`;
    expect(dupes?.n).toBe(0);
    expect(await stack.queue.getFailedCount()).toBe(0);
    // The 5 landing runs retrieve alone, and a webhook run that found no company in its window; the rest read through list pages.
    expect(count(RETRIEVE) - before.retrieve).toBeLessThanOrEqual(10);
    expect(count(LIST) - before.list).toBeLessThan(20);
  });

  it('a lone session is retrieved alone (no list request)', async () => {
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({ lineItems: items(2) });
    const before = { retrieve: count(RETRIEVE), list: count(LIST) };
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled', 30_000);
    expect(await storedLineItemCount(stack, s.id)).toBe(2);
    expect(count(RETRIEVE) - before.retrieve).toBe(1);
    expect(count(LIST) - before.list).toBe(0);
  });

  it('sessions missing from the listed range (the event said another created) fall back to a retrieve each', async () => {
    const { store, webhooks } = stack.emulator;
    const ids = [0, 1, 2].map(() => store.createSession({ lineItems: items(2) }).id);
    const events = ids.map((id) => {
      const e = store.complete(id, { paymentStatus: 'paid' });
      // A range an hour old: the page comes back without them.
      const object = { ...(e.data.object as Stripe.Checkout.Session), created: Math.floor(Date.now() / 1000) - 3600 };
      return { ...e, data: { ...e.data, object } } as unknown as Stripe.Event;
    });
    const before = { retrieve: count(RETRIEVE), list: count(LIST) };
    await Promise.all(events.map((e) => webhooks.send(e)));
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(2);
    expect(count(LIST) - before.list).toBeGreaterThanOrEqual(1);
    expect(count(RETRIEVE) - before.retrieve).toBe(3);
  });

  it("a connected account's sessions are listed as that account, products included", async () => {
    const { store, webhooks } = stack.emulator;
    const account = 'acct_1BatchedReads01';
    const ids = [0, 1, 2, 3].map(() => store.createSession({ lineItems: items(3) }, account).id);
    const before = { retrieve: count(RETRIEVE), list: count(LIST) };
    await Promise.all(ids.map((id) => webhooks.send(store.complete(id, { paymentStatus: 'paid' }, account))));
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(3);
    expect(count(RETRIEVE) - before.retrieve).toBe(0);
    expect(count(LIST) - before.list).toBeGreaterThanOrEqual(1);
  });
});
