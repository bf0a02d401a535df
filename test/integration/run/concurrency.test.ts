import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../../src/emulator/ids.js';
import type { FulfillJobResult } from '../../../src/queue/contract.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, storedLineItemCount, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/** Real concurrency: two worker processes, many simultaneous deliveries for one session. */
describe('exactly once under concurrent deliveries', () => {
  let stack: Stack;
  let workers: RunningProcess[];

  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 20 });
    workers = [0, 1].map(() => startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '25' })));
    await Promise.all(workers.map((w) => waitForOutput(w, 'worker started')));
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await stack.close();
  });

  it('30 concurrent deliveries of events for one session, across 2 worker processes → fulfilled once', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(100) });
    // The session row already exists (awaiting a delayed payment), so only the row lock can serialise the runs.
    await stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'unpaid' }));
    await waitForStatus(stack, session.id, 'awaiting_payment');
    await waitForQueueDrained(stack);
    await stack.queue.clean(0, 100, 'completed');
    stack.emulator.webhooks.deliveries.length = 0;

    const succeeded = stack.emulator.store.asyncPayment(session.id, 'succeeded');
    // 15 distinct events (each its own job) delivered twice each, all at once.
    const events: Stripe.Event[] = [succeeded, ...Array.from({ length: 14 }, () => ({ ...succeeded, id: randomId('evt_', 24) }) as Stripe.Event)];
    await Promise.all(events.map((e) => stack.emulator.webhooks.send(e, { duplicates: 1 })));
    expect(stack.emulator.webhooks.deliveries.filter((d) => d.status === 200)).toHaveLength(30);

    await waitForStatus(stack, session.id, 'fulfilled');
    await waitForQueueDrained(stack);

    const jobs = await stack.queue.getJobs(['completed', 'failed']);
    expect(jobs).toHaveLength(15);
    expect(jobs.every((j) => j.finishedOn !== undefined && j.failedReason === undefined)).toBe(true);
    // No run needed a retry: none collided with another on the line items' primary key.
    expect(jobs.map((j) => j.attemptsMade)).toEqual(jobs.map(() => 1));
    const results = jobs.map((j) => j.returnvalue as FulfillJobResult);
    // Exactly one run moved the session to fulfilled; every other one found it already done.
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    // Both processes took part.
    const byWorker = new Set(jobs.map((j) => j.processedBy));
    expect(byWorker.size).toBe(2);
    expect(await storedLineItemCount(stack, session.id)).toBe(100);
    const [row] = await stack.db.sql`select attempt_count from checkout_sessions where id = ${session.id}`;
    expect(row?.attempt_count).toBe(2);
  });
});
