import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const RETRIEVE = 'GET /v1/checkout/sessions/:id';

/**
 * Strangers cannot spend the Stripe budget through the landing page: the api in-process, a worker
 * process doing the retrieves, and the emulator counting every request Stripe would have received.
 */
describe('landing page lookups and the Stripe budget', () => {
  let stack: Stack;
  let worker: RunningProcess;

  async function withWorker(s: Stack): Promise<RunningProcess> {
    const w = startProcess('src/entry/worker.ts', s.env({ LOG_LEVEL: 'info' }));
    await waitForOutput(w, 'worker started');
    return w;
  }
  const retrieves = (s: Stack) => s.emulator.gate.stats.byEndpoint[RETRIEVE] ?? 0;
  const randomId = () => `cs_test_${randomBytes(24).toString('hex')}`;
  const visit = async (s: Stack, id: string, client: string) => {
    const res = await fetch(`${s.apiUrl}/after-checkout?session_id=${id}`, { headers: { 'x-forwarded-for': client } });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    stack = await startStack({ workers: 0, trustProxy: true, landing: { lookupsPerClientPerMinute: 5, recheckMs: 60_000 } });
    worker = await withWorker(stack);
  });
  afterAll(async () => {
    worker.kill();
    await worker.exited;
    await stack.close();
  });

  it('20 random ids from one client cost its 5 lookups; Stripe\'s "no such session" is remembered for everyone', async () => {
    const before = retrieves(stack);
    const ids = Array.from({ length: 20 }, randomId);
    const pages = [];
    for (const id of ids) pages.push(await visit(stack, id, '198.51.100.1'));
    expect(retrieves(stack) - before).toBe(5);
    expect(pages.slice(0, 5).map((p) => p.status)).toEqual([404, 404, 404, 404, 404]);
    // Past its cap the stranger learns nothing either: the page any customer gets while we confirm.
    expect(pages.slice(5).every((p) => p.status === 200 && p.body.includes("We're confirming your order"))).toBe(true);

    // The same ids again, from another client (another api process would share the memory: it is in Redis).
    for (const id of ids.slice(0, 5)) expect((await visit(stack, id, '198.51.100.2')).status).toBe(404);
    expect(retrieves(stack) - before).toBe(5);
  });

  it('a cs_live_ id with a test key is a 404 with no Stripe request and no job', async () => {
    const before = retrieves(stack);
    const jobs = await stack.queue.count();
    const page = await visit(stack, `cs_live_${randomBytes(24).toString('hex')}`, '198.51.100.3');
    expect(page.status).toBe(404);
    expect(page.body).toContain("We can't find that order");
    expect(retrieves(stack)).toBe(before);
    expect(await stack.queue.count()).toBe(jobs);
  });

  it('five reloads of an awaiting-payment page cost one lookup', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' });
    const before = retrieves(stack);
    for (let i = 0; i < 5; i++) {
      const page = await visit(stack, s.id, '198.51.100.4');
      expect(page.body).toContain('Your payment is processing');
    }
    expect(retrieves(stack) - before).toBe(1);
  });

  it('five reloads of an open session (the customer left Checkout) cost one lookup', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    const before = retrieves(stack);
    for (let i = 0; i < 5; i++) expect((await visit(stack, s.id, '198.51.100.11')).body).toContain('Checkout not completed');
    expect(retrieves(stack) - before).toBe(1);
  });

  it('a customer who paid gets their page at once: known from the webhook even past the cap, or looked up within it', async () => {
    const client = '198.51.100.5';
    for (let i = 0; i < 5; i++) await visit(stack, randomId(), client);
    const viaWebhook = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(viaWebhook.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, viaWebhook.id, 'fulfilled');
    const before = retrieves(stack);
    expect((await visit(stack, viaWebhook.id, client)).body).toContain('Your order is confirmed');
    expect(retrieves(stack)).toBe(before);

    const noWebhook = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(noWebhook.id, { paymentStatus: 'paid' });
    expect((await visit(stack, noWebhook.id, '198.51.100.6')).body).toContain('Your order is confirmed');
    expect(retrieves(stack)).toBe(before + 1);
  });

  it("two customers at once over a fleet cap of 1/s: the second waits for the next second's lookup instead of a page without the order", async () => {
    const capped = await startStack({ workers: 0, trustProxy: true, landing: { lookupsPerSecond: 1 } });
    const w = await withWorker(capped);
    try {
      const [a, b] = Array.from({ length: 2 }, () => {
        const s = capped.emulator.store.createSession({ lineItems: items(1) });
        capped.emulator.store.complete(s.id, { paymentStatus: 'paid' });
        return s.id;
      });
      // Answered at once without a run (before), the second customer saw "We're confirming your order" and reloaded.
      const pages = await Promise.all([visit(capped, a as string, '203.0.113.201'), visit(capped, b as string, '203.0.113.202')]);
      expect(pages.map((p) => p.body.includes('Your order is confirmed'))).toEqual([true, true]);
      // Still one lookup each, within the cap: the wait spent no extra Stripe request.
      expect(retrieves(capped)).toBe(2);
    } finally {
      w.kill();
      await w.exited;
      await capped.close();
    }
  });

  it('across many clients, landing lookups stay within their fleet-wide share per second', async () => {
    const capped = await startStack({ workers: 0, trustProxy: true, landing: { lookupsPerSecond: 2 } });
    const w = await withWorker(capped);
    try {
      const sessions = Array.from({ length: 12 }, () => {
        const s = capped.emulator.store.createSession({ lineItems: items(1) });
        capped.emulator.store.complete(s.id, { paymentStatus: 'paid' });
        return s.id;
      });
      const started = Date.now();
      const pages = await Promise.all(sessions.map((id, i) => visit(capped, id, `203.0.113.${i + 1}`)));
      const windows = Math.ceil((Date.now() - started) / 1000) + 1;
      const looked = retrieves(capped);
      expect(looked).toBeGreaterThanOrEqual(2);
      expect(looked).toBeLessThanOrEqual(2 * windows);
      expect(pages.every((p) => p.status === 200)).toBe(true);
      const confirmed = pages.filter((p) => p.body.includes('Your order is confirmed')).length;
      expect(confirmed).toBe(looked);
      expect(pages.length - confirmed).toBe(pages.filter((p) => p.body.includes("We're confirming your order")).length);
    } finally {
      w.kill();
      await w.exited;
      await capped.close();
    }
  });
});
