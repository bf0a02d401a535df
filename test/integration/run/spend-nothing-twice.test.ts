import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueFulfillment, enqueueLanding } from '../../../src/queue/fulfillment-queue.js';
import { createReconcileQueue, requestReconcile } from '../../../src/queue/reconcile-queue.js';
import { waitForJob } from '../../../src/queue/wait-for-job.js';
import { items, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Stripe's budget is the ceiling: no request for a run that cannot change anything, no attempt lost to a 429. */
describe('spend nothing twice', () => {
  describe('a session already final in Postgres', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => stack.close());

    it('reruns of every kind make zero Stripe requests and return the stored outcome', async () => {
      const s = stack.emulator.store.createSession({ lineItems: items(30) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      await waitForStatus(stack, s.id, 'fulfilled');
      await waitForQueueDrained(stack);
      stack.emulator.gate.resetStats();

      // A rerun after a crash just after the commit, a late event, a landing page visit, an operator.
      const jobs = await Promise.all([
        enqueueFulfillment(stack.queue, { sessionId: s.id, trigger: 'checkout.session.completed', eventId: 'evt_redelivered_after_crash' }),
        enqueueFulfillment(stack.queue, { sessionId: s.id, trigger: 'checkout.session.async_payment_succeeded', eventId: 'evt_late' }),
        enqueueLanding(stack.queue, s.id),
        enqueueFulfillment(stack.queue, { sessionId: s.id, trigger: 'manual', runId: 'operator' }),
      ]);
      await waitForQueueDrained(stack);
      for (const job of jobs) {
        const done = await stack.queue.getJob(job.id as string);
        expect(done?.returnvalue).toEqual({ sessionId: s.id, status: 'fulfilled', changed: false });
      }
      expect(stack.emulator.gate.stats.requests).toBe(0);
      expect(await storedLineItemCount(stack, s.id)).toBe(30);
      const [row] = await stack.db.sql`select attempt_count from checkout_sessions where id = ${s.id}`;
      expect(row?.attempt_count).toBe(1);
    });

    it('a session not yet final still reads Stripe', async () => {
      const s = stack.emulator.store.createSession({ lineItems: items(1) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' }));
      await waitForStatus(stack, s.id, 'awaiting_payment');
      stack.emulator.gate.resetStats();
      await stack.emulator.webhooks.send(stack.emulator.store.asyncPayment(s.id, 'succeeded'));
      await waitForStatus(stack, s.id, 'fulfilled');
      expect(stack.emulator.gate.stats.servedByEndpoint['GET /v1/checkout/sessions/:id']).toBe(1);
    });
  });

  it('a 429 storm longer than JOB_ATTEMPTS × backoff ends fulfilled, with no attempt used by a 429', { timeout: 60_000 }, async () => {
    // 2 attempts 50 ms apart: a storm of a few seconds would exhaust them many times over.
    const stack = await startStack({ attempts: 2, backoffMs: 50 });
    try {
      stack.emulator.gate.knobs.rateLimitRate = 1;
      const sessions = Array.from({ length: 5 }, () => stack.emulator.store.createSession({ lineItems: items(3) }));
      await Promise.all(sessions.map((s) => stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }))));
      // Every job has been started four times during the storm, so has met at least three 429s (each
      // put back, the queue paused for a second in between): attempts 1 and 2 would have been used up.
      await waitFor(async () => {
        const jobs = await stack.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
        return jobs.length === 5 && jobs.every((j) => (j.attemptsStarted ?? 0) >= 4) ? true : undefined;
      }, 'every job to meet three 429s');
      expect(await stack.queue.getFailedCount()).toBe(0);
      stack.emulator.gate.knobs.rateLimitRate = 0;

      for (const s of sessions) await waitForStatus(stack, s.id, 'fulfilled');
      // A run's commit comes before BullMQ moves its job to completed: wait for the last move too.
      const done = await waitFor(async () => {
        const completed = await stack.queue.getJobs(['completed']);
        return completed.length === 5 ? completed : undefined;
      }, 'all five jobs completed');
      expect(done).toHaveLength(5);
      for (const job of done) {
        expect(job.attemptsStarted).toBeGreaterThanOrEqual(4);
        // Only the run that succeeded counts as an attempt.
        expect(job.attemptsMade).toBe(1);
      }
      // The five runs read their sessions through shared list requests (batched reads), so one 429 may turn back all of them.
      expect(stack.emulator.gate.stats.rateLimited).toBeGreaterThanOrEqual(3);
      expect(await stack.queue.getFailedCount()).toBe(0);
    } finally {
      await stack.close();
    }
  });

  it('a reconciliation run meeting more 429s than its 3 attempts ends completed, the attempts unused', { timeout: 60_000 }, async () => {
    const stack = await startStack({ workers: 1 });
    const queue = createReconcileQueue(stack.producer);
    try {
      const ids = Array.from({ length: 20 }, () => {
        const s = stack.emulator.store.createSession({ lineItems: items(2) });
        stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
        return s.id;
      });
      stack.emulator.gate.knobs.rateLimitRate = 1;
      const job = await requestReconcile(queue, 3600_000);
      await waitFor(async () => ((await queue.getJob(job.id as string))?.attemptsStarted ?? 0) >= 5 ? true : undefined, 'the run to meet four 429s');
      stack.emulator.gate.knobs.rateLimitRate = 0;
      expect((await waitForJob(queue, job.id as string, 30_000)).state).toBe('completed');
      const done = await queue.getJob(job.id as string);
      expect(done?.returnvalue).toMatchObject({ listed: 20, recorded: 20 });
      expect(done?.attemptsMade).toBe(1);
      for (const id of ids) await waitForStatus(stack, id, 'fulfilled');
    } finally {
      await queue.close();
      await stack.close();
    }
  });
});
