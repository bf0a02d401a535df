import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix } from '../../../src/queue/contract.js';
import { StripeRateBudget } from '../../../src/stripe/rate-budget.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const RETRIEVE = 'GET /v1/checkout/sessions/:id';

/** Customer first: with the Stripe budget saturated, a landing page run overtakes a webhook backlog. */
describe('priority classes under a saturated budget', () => {
  let stack: Stack;
  let worker: RunningProcess | undefined;
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await worker?.exited;
    await stack.close();
  });

  it('the budget: a landing take waiting behind 30 webhook takes gets the next permits, reconciliation the last', async () => {
    {
      // 5 permits a second for this endpoint: 30 webhook takes are 6 s of backlog.
      const opts = { prefix: bullPrefix(`${stack.prefix}-classes`), maxRps: 100, endpointMaxRps: 5 };
      const a = new StripeRateBudget(stack.apiProcess.backend.budget, opts);
      const b = new StripeRateBudget(stack.apiProcess.backend.budget, opts);
      const order: string[] = [];
      const takes = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).take(RETRIEVE, 'webhook').then(() => order.push('webhook')));
      const reconcile = a.take(RETRIEVE, 'reconcile').then(() => order.push('reconcile'));
      await waitFor(async () => (order.length >= 3 ? true : undefined), 'the backlog to start');
      const landing = b.take(RETRIEVE, 'landing').then(() => order.push('landing'));
      await Promise.all([...takes, reconcile, landing]);
      // Ordering, not speed: the landing take went within a few permits of arriving, reconciliation after the whole backlog.
      expect(order.indexOf('landing')).toBeLessThan(10);
      expect(order.at(-1)).toBe('reconcile');
    }
  });

  it('a worker process: the customer on the success page is served before the webhook backlog ahead of them', async () => {
    // Stripe (the emulator) and the fleet's budget both allow 4 retrieves a second: 40 sessions are 10 s of backlog.
    Object.assign(stack.emulator.gate.knobs, { maxRps: 100, maxEndpointRps: 5, latencyMs: 20 });
    // Batched reads off: with them one list page records the whole backlog at once (its sessions share a
    // created second), so there is no backlog for the customer to overtake; this is about the queue and budget.
    worker = startProcess(
      'src/entry/worker.ts',
      stack.env({ LOG_LEVEL: 'info', STRIPE_MAX_RPS: '90', STRIPE_ENDPOINT_MAX_RPS: '4', WORKER_CONCURRENCY: '5', STRIPE_BATCHED_READS: 'off' }),
    );
    await waitForOutput(worker, 'worker started');
    const { store, webhooks } = stack.emulator;
    const backlog = Array.from({ length: 40 }, () => {
      const s = store.createSession({ lineItems: items(2) });
      void webhooks.send(store.complete(s.id, { paymentStatus: 'paid' }));
      return s.id;
    });
    const fulfilled = async () => {
      const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where id = any(${backlog}) and status = 'fulfilled'`;
      return row?.n ?? 0;
    };
    await waitFor(async () => ((await fulfilled()) >= 2 ? true : undefined), 'the backlog to start', 30_000);

    // Paid, but its webhook has not come: the customer is on the success page.
    const mine = store.createSession({ lineItems: items(3) });
    store.complete(mine.id, { paymentStatus: 'paid' });
    const page = fetch(`${stack.apiUrl}/after-checkout?session_id=${mine.id}`).then((r) => r.text());
    await waitForStatus(stack, mine.id, 'fulfilled', 60_000);
    const aheadOfMe = await fulfilled();
    await page;
    // Plain FIFO would have served the whole backlog first (37 of 40 when tried); at the head of the wait list
    // (lifo) the landing run went within a few permits.
    expect(aheadOfMe).toBeLessThan(20);

    for (const id of backlog) await waitForStatus(stack, id, 'fulfilled', 60_000);
    await waitForQueueDrained(stack);
    expect(await stack.queue.getFailedCount()).toBe(0);
  }, 180_000);
});
