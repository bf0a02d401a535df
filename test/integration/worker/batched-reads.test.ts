import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconcileQueue, requestReconcile } from '../../../src/queue/reconcile-queue.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const RETRIEVE = 'GET /v1/checkout/sessions/:id';
const LIST = 'GET /v1/checkout/sessions';

/** Runs' session reads coalesced into list requests: a worker process, the emulator counting every request. */
describe('batched session reads (STRIPE_BATCHED_READS=on: every eligible run waits for company)', () => {
  let stack: Stack;
  let worker: RunningProcess;
  const count = (endpoint: string) => stack.emulator.gate.stats.byEndpoint[endpoint] ?? 0;

  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 30 });
    worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '40', STRIPE_BATCHED_READS: 'on' }));
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
    const reconcileQueue = createReconcileQueue(stack.producer);
    // The webhooks' runs all waiting before the worker may take one, so that they meet in batch windows however
    // slow the machine is (sent while it ran, at load ~10 they spread over windows and more ran alone); the
    // landing page and reconciliation then race them.
    await stack.queue.pause();
    try {
      await webhooks.sendShuffled(events);
    } finally {
      await stack.queue.resume();
    }
    await Promise.all([
      ...ids.slice(0, 5).map((id) => fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`).then((r) => r.text())),
      requestReconcile(reconcileQueue, 3600_000),
    ]);
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 60_000);
    await waitForQueueDrained(stack);
    await reconcileQueue.close();
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(5);
    // Exactly once however many runs (webhook, landing, reconciliation, other batches' pages) raced: each row
    // written by one run (attempt_count 1), one receipt email each. (This read kind 'receipt_email', a kind
    // that does not exist, so it counted nothing.)
    const once = await stack.db.sql<{ attempt_count: number; receipts: number }[]>`
      select s.attempt_count, (select count(*)::int from fulfillment_effects e where e.session_id = s.id and e.kind = 'email') as receipts
      from checkout_sessions s where s.id = any(${ids})`;
    expect(once).toHaveLength(30);
    for (const r of once) expect({ attempts: r.attempt_count, receipts: r.receipts }).toEqual({ attempts: 1, receipts: 1 });
    expect(await stack.queue.getFailedCount()).toBe(0);
    // The 5 landing runs retrieve alone, and a webhook run that found no company in its window; the rest read through list pages.
    expect(count(RETRIEVE) - before.retrieve).toBeLessThanOrEqual(10);
    expect(count(LIST) - before.list).toBeLessThan(20);
  });

  it("a batch's pages record the other paid sessions on them once; their own runs later make no Stripe request", async () => {
    const { store, webhooks } = stack.emulator;
    const ids = Array.from({ length: 20 }, () => store.createSession({ lineItems: items(4) }).id);
    const events = new Map(ids.map((id) => [id, store.complete(id, { paymentStatus: 'paid' })]));
    const unpaid = store.createSession({ lineItems: items(1) }).id;
    store.complete(unpaid, { paymentStatus: 'unpaid' });
    // The batch holds the first and the last created, so its created range (and its page) spans all 20.
    const batch = [ids[0], ids[7], ids[13], ids[19]] as string[];
    const rest = ids.filter((id) => !batch.includes(id));
    await Promise.all(batch.map((id) => webhooks.send(events.get(id) as Stripe.Event)));
    // No webhook, no landing page, no reconciliation for the other 16: the batch's page recorded them.
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
    await waitForQueueDrained(stack);
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(4);
    // Complete but unpaid on the same page: left to its own run.
    const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where id = ${unpaid}`;
    expect(row?.n).toBe(0);

    // Their webhooks arrive late: each run finds its session final in Postgres and reads nothing from Stripe.
    const before = stack.emulator.gate.stats.requests;
    await webhooks.sendShuffled(rest.map((id) => events.get(id) as Stripe.Event));
    await waitForQueueDrained(stack);
    expect(stack.emulator.gate.stats.requests - before).toBe(0);
    const once = await stack.db.sql<{ id: string; attempt_count: number; receipts: number }[]>`
      select s.id, s.attempt_count, (select count(*)::int from fulfillment_effects e where e.session_id = s.id and e.kind = 'email') as receipts
      from checkout_sessions s where s.id = any(${ids})`;
    expect(once).toHaveLength(20);
    for (const r of once) expect({ attempts: r.attempt_count, receipts: r.receipts }).toEqual({ attempts: 1, receipts: 1 });
    expect(await stack.queue.getFailedCount()).toBe(0);
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
    // All four runs waiting before the worker may take one, so that they meet in one batch window however
    // slow the machine is (sent while it runs, a loaded machine spread them over several windows, and a
    // run alone in its window is retrieved).
    await stack.queue.pause();
    try {
      await Promise.all(ids.map((id) => webhooks.send(store.complete(id, { paymentStatus: 'paid' }, account))));
    } finally {
      await stack.queue.resume();
    }
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
    for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(3);
    expect(count(RETRIEVE) - before.retrieve).toBe(0);
    expect(count(LIST) - before.list).toBeGreaterThanOrEqual(1);
  });
});

/** The default: a batch only while the fleet budget binds, otherwise a retrieve at once (no window, no list). */
describe('batched session reads, STRIPE_BATCHED_READS=auto', () => {
  let stack: Stack;
  const count = (endpoint: string) => stack.emulator.gate.stats.byEndpoint[endpoint] ?? 0;

  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 30 });
  });
  afterAll(async () => stack.close());

  /** 30 paid sessions' webhooks at once through one worker process with `env`: every one fulfilled once; the requests it took. */
  async function burst(env: Record<string, string>): Promise<{ retrieve: number; list: number }> {
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '40', ...env }));
    try {
      await waitForOutput(worker, 'worker started');
      const { store, webhooks } = stack.emulator;
      const ids = Array.from({ length: 30 }, () => store.createSession({ lineItems: items(3) }).id);
      const before = { retrieve: count(RETRIEVE), list: count(LIST) };
      await webhooks.sendShuffled(ids.map((id) => store.complete(id, { paymentStatus: 'paid' })));
      for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 60_000);
      await waitForQueueDrained(stack);
      for (const id of ids) expect(await storedLineItemCount(stack, id)).toBe(3);
      const [reruns] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where id = any(${ids}) and attempt_count <> 1`;
      expect(reruns?.n).toBe(0);
      expect(await stack.queue.getFailedCount()).toBe(0);
      return { retrieve: count(RETRIEVE) - before.retrieve, list: count(LIST) - before.list };
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  }

  it('with room in the budget (10,000/s): each run retrieves its session at once, no list request', async () => {
    expect(await burst({})).toEqual({ retrieve: 30, list: 0 });
  });

  it('with the budget binding (2 requests/s per endpoint): the burst reads through list requests', async () => {
    const used = await burst({ STRIPE_ENDPOINT_MAX_RPS: '2' });
    expect(used.list).toBeGreaterThanOrEqual(1);
    // The first run, before the demand reached the limit, retrieves alone; so may a run left alone in its window.
    expect(used.retrieve).toBeLessThanOrEqual(10);
  });
});
