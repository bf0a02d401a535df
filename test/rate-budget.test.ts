import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix } from '../src/queue/contract.js';
import { StripeRateBudget } from '../src/stripe/rate-budget.js';
import { startProcess, waitForOutput, type RunningProcess } from './helpers/processes.js';
import { items, waitForQueueDrained, waitForStatus } from './helpers/sessions.js';
import { REDIS_URL, startStack, type Stack } from './helpers/stack.js';

/** All worker processes share one Stripe budget, kept in Redis. */
describe('fleet-wide Stripe rate budget', () => {
  let stack: Stack;
  const procs: RunningProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await stack.close();
  });

  it('two worker processes stay under Stripe limits together: every session fulfilled, 429s rare, no job failed', async () => {
    // Stripe (the emulator) allows 30/s in all and 10/s per endpoint; the fleet budgets 28 and 9.
    Object.assign(stack.emulator.gate.knobs, { maxRps: 30, maxEndpointRps: 10, latencyMs: 50 });
    const env = stack.env({ LOG_LEVEL: 'info', STRIPE_MAX_RPS: '28', STRIPE_ENDPOINT_MAX_RPS: '9', WORKER_CONCURRENCY: '20' });
    for (let i = 0; i < 2; i++) procs.push(startProcess('src/worker/main.ts', env));
    await Promise.all(procs.map((p) => waitForOutput(p, 'worker started')));
    stack.emulator.gate.resetStats();

    const ids = Array.from({ length: 40 }, () => {
      const s = stack.emulator.store.createSession({ lineItems: items(2) });
      void stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      return s.id;
    });
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 60_000);
    await waitForQueueDrained(stack);

    const stats = stack.emulator.gate.stats;
    expect(await stack.queue.getFailedCount()).toBe(0);
    // Unpaced (budget of 10,000/s), the same run met 60 429s.
    expect(stats.rateLimited).toBeLessThanOrEqual(2);
    expect(new Set((await stack.queue.getJobs(['completed'])).map((j) => j.processedBy)).size).toBe(2);
  });

  it('permits taken in batches (high limits) still keep two processes within the limit over any second', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      // 100/s: batches of up to 5 permits once a process has seen its own demand for a second.
      const opts = { prefix: bullPrefix(`${stack.prefix}-batch`), maxRps: 100, endpointMaxRps: 100 };
      const budgets = [new StripeRateBudget(redis, opts), new StripeRateBudget(redis, opts)];
      const done: number[] = [];
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => (budgets[i % 2] as StripeRateBudget).take('GET /v1/checkout/sessions/:id').then(() => done.push(Date.now()))),
      );
      done.sort((a, b) => a - b);
      // Counting, not speed: however slow the machine, no second holds more than the limit and the 5 % a batch may run over.
      let most = 0;
      for (let i = 0, j = 0; i < done.length; i++) {
        while ((done[i] as number) - (done[j] as number) >= 1000) j++;
        most = Math.max(most, i - j + 1);
      }
      expect(done).toHaveLength(300);
      expect(most).toBeLessThanOrEqual(105 + 2 * 5);
    } finally {
      redis.disconnect();
    }
  });

  it('a 429 pauses every worker: take() waits for the pause another process set', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const opts = { prefix: bullPrefix(`${stack.prefix}-pause`), maxRps: 1000, endpointMaxRps: 1000 };
      const a = new StripeRateBudget(redis, opts);
      const b = new StripeRateBudget(redis, opts);
      await a.pauseFleet(700);
      const started = Date.now();
      await b.take('GET /v1/checkout/sessions/:id');
      // Ordering, not speed: b could not go before the pause a set had run out.
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(await redis.pttl(`${opts.prefix}:stripe-pause`)).toBeLessThanOrEqual(0);
    } finally {
      redis.disconnect();
    }
  });
});
