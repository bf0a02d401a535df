import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createReconcileQueue } from '../../../src/queue/reconcile-queue.js';
import { freePort } from '../../helpers/ports.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { sample } from '../../helpers/prometheus.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { CLOSED_REDIS_URL, QUEUE_BACKEND, startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

async function fulfilledCount(stack: Stack, ids: readonly string[]): Promise<number> {
  const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled' and id in ${stack.db.sql(ids)}`;
  return row?.n ?? 0;
}

/** Missed webhooks and lost queue data turn into a delay, never a lost order. */
describe('reconciliation', () => {
  const procs: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  });

  it('50 paid sessions whose webhooks never came: one scheduled run fulfills all 50', async () => {
    const stack = await startStack({ workers: 0 });
    try {
      const ids = Array.from({ length: 50 }, () => {
        const s = stack.emulator.store.createSession({ lineItems: items(2) });
        stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
        return s.id;
      });
      // Older than the lookback: not this run's business.
      const port = await freePort();
      const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', RECONCILE_INTERVAL: '1h', RECONCILE_LOOKBACK: '72h', WORKER_HTTP_PORT: String(port) }));
      procs.push(worker);
      await waitForOutput(worker, 'worker started');
      await waitFor(async () => ((await fulfilledCount(stack, ids)) === 50 ? true : undefined), 'all 50 sessions fulfilled', 60_000);
      expect(stack.emulator.webhooks.deliveries).toHaveLength(0);
      // The run records the sessions itself: the last one is stored a moment before the run completes.
      await waitForOutput(worker, 'reconciliation finished');
      const reconcileQueue = createReconcileQueue(stack.producer);
      const runs = await waitFor(async () => {
        const completed = await reconcileQueue.getJobs(['completed']);
        return completed.length > 0 ? completed : undefined;
      }, 'the reconcile job to complete');
      expect(runs).toHaveLength(1);
      expect(runs[0]?.returnvalue).toEqual({ listed: 50, alreadyFinal: 0, needsAttention: 0, recorded: 50, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      expect(worker.output()).toContain('reconciliation finished');
      // The worker counts the run on BullMQ's 'completed' event, just after the job's state changed.
      const metrics = await waitFor(async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return sample(text, 'fulfillment_reconcile_runs_total', { result: 'completed' }) === 1 ? text : undefined;
      }, 'the run to be counted');
      expect(sample(metrics, 'fulfillment_reconcile_sessions_total', { outcome: 'recorded' })).toBe(50);
      worker.kill('SIGTERM');
      await worker.exited;
    } finally {
      await stack.close();
    }
  });

  /**
   * The queue's data lost: on Redis a FLUSHALL (a private Redis); on Postgres (TEST_QUEUE_BACKEND=postgres)
   * every table of BullMQ's schema emptied but its migration ledger, as a restore from an older backup of it would.
   */
  async function loseQueueData(stack: Stack, redisUrl: string): Promise<void> {
    if (stack.queueBackend === 'redis') {
      const admin = new Redis(redisUrl);
      await admin.flushall();
      admin.disconnect();
      return;
    }
    const tables = await stack.db.sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'bullmq' and tablename not like '%migration%'`;
    await stack.db.sql.unsafe(`truncate ${tables.map((t) => `bullmq."${t.name}"`).join(', ')}`);
  }

  it(`200 webhooks acknowledged, then the queue's data lost (${QUEUE_BACKEND}) before any worker ran: the next run fulfills all 200, none twice`, { timeout: 180_000 }, async () => {
    const redis = await PrivateRedis.start();
    const stack = await startStack({ workers: 0, redisUrl: QUEUE_BACKEND === 'redis' ? redis.url : CLOSED_REDIS_URL });
    try {
      const events = Array.from({ length: 200 }, () => {
        const s = stack.emulator.store.createSession({ lineItems: items(3) });
        return stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
      });
      const ids = events.map((e) => (e.data.object as { id: string }).id);
      await Promise.all(events.map((e) => stack.emulator.webhooks.send(e)));
      expect(stack.emulator.webhooks.deliveries.filter((d) => d.status === 200)).toHaveLength(200);
      expect(await stack.queue.count()).toBe(200);

      await loseQueueData(stack, redis.url);
      expect(await stack.queue.count()).toBe(0);

      const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info' }));
      procs.push(worker);
      await waitForOutput(worker, 'worker started');
      const cli = await runCli(['reconcile', '--since', '1h', '--wait', '2m'], stack.env());
      expect(cli.stderr).toContain('reconciliation requested');
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual({ listed: 200, alreadyFinal: 0, needsAttention: 0, recorded: 200, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });

      await waitFor(async () => ((await fulfilledCount(stack, ids)) === 200 ? true : undefined), 'all 200 sessions fulfilled', 60_000);
      const [check] = await stack.db.sql<{ reruns: number; items: number }[]>`
        select (select count(*)::int from checkout_sessions where attempt_count <> 1) as reruns,
               (select count(*)::int from checkout_line_items) as items`;
      expect(check).toEqual({ reruns: 0, items: 600 });

      // A second run finds nothing to do.
      const again = await runCli(['reconcile', '--since', '1h'], stack.env());
      expect(JSON.parse(again.stdout)).toEqual({ listed: 200, alreadyFinal: 200, needsAttention: 0, recorded: 0, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      worker.kill('SIGTERM');
      await worker.exited;
    } finally {
      await stack.close();
      await redis.down();
    }
  });
});
