import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, storedLineItemCount, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** A worker process dies with SIGKILL in the middle of a fulfillment; another one finishes it, once. */
describe('crash recovery', () => {
  let stack: Stack;
  const procs: RunningProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 1000 });
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await stack.close();
  });

  it('a worker killed with SIGKILL mid-fulfillment → another worker finishes it, exactly once', async () => {
    // A short lock so that the stalled job is noticed quickly; the mechanism is BullMQ's stalled-job check.
    const env = stack.env({ LOG_LEVEL: 'info', WORKER_LOCK_DURATION_MS: '2000' });
    const first = startProcess('src/entry/worker.ts', env);
    procs.push(first);
    await waitForOutput(first, 'worker started');

    const session = stack.emulator.store.createSession({ lineItems: items(25) });
    const before = stack.emulator.gate.stats.requests;
    void stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'paid' }));
    // The first worker is inside fulfillCheckout: it holds the job and is waiting on Stripe.
    await waitFor(async () => ((await stack.queue.getActiveCount()) === 1 && stack.emulator.gate.stats.requests > before ? true : undefined), 'the first worker to start the job');
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await storedLineItemCount(stack, session.id)).toBe(0);

    const second = startProcess('src/entry/worker.ts', env);
    procs.push(second);
    await waitForOutput(second, 'worker started');
    await waitForStatus(stack, session.id, 'fulfilled', 45_000);

    // The row commits before BullMQ records the job as completed: wait for that too.
    const job = await waitFor(async () => (await stack.queue.getJobs(['completed']))[0], 'the job to be completed');
    expect(job?.data.sessionId).toBe(session.id);
    expect(job?.processedBy).toContain(`-${second.child.pid}`);
    expect(await stack.queue.getFailedCount()).toBe(0);
    expect(await storedLineItemCount(stack, session.id)).toBe(25);
    const [row] = await stack.db.sql`select attempt_count from checkout_sessions where id = ${session.id}`;
    expect(row?.attempt_count).toBe(1);
  });
});
