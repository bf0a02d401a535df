import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineItemSpec } from '../../../src/emulator/objects.js';
import { fulfillmentHandlers } from '../../../src/fulfillment/registry.js';
import { enqueueLanding } from '../../../src/queue/fulfillment-queue.js';
import { createReconcileQueue, requestReconcile, type ReconcileQueue } from '../../../src/queue/reconcile-queue.js';
import { waitForJob } from '../../../src/queue/wait-for-job.js';
import type { ReconcileResult } from '../../../src/queue/contract.js';
import { createReconcileWorker } from '../../../src/worker/reconcile-worker.js';
import { redisBull } from '../../../src/queue/bull.js';
import { workerConnection } from '../../../src/queue/redis.js';
import { items, storedLineItemCount, waitForQueueDrained } from '../../helpers/sessions.js';
import { REDIS_URL, silent, startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Line items whose products are shared across sessions, as in a sale; the first is digital (`access`). */
function saleItems(n: number, tag: string): LineItemSpec[] {
  return items(n).map((item, i) => ({ ...item, productId: `prod_${tag}${i}`, ...(i === 0 ? { metadata: { fulfillment: 'access' } } : {}) }));
}

/** A paid session whose webhook was not delivered (the event is returned, to send it later or never). */
function paid(stack: Stack, lineItems: LineItemSpec[]) {
  const s = stack.emulator.store.createSession({ lineItems });
  return { id: s.id, event: stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }) };
}

function paidWithoutWebhook(stack: Stack, lineItems: LineItemSpec[]): string {
  return paid(stack, lineItems).id;
}

async function runReconcile(queue: ReconcileQueue): Promise<ReconcileResult> {
  const job = await requestReconcile(queue, 3600_000);
  const done = await waitForJob(queue, job.id as string, 60_000);
  expect(done.state).toBe('completed');
  return (await queue.getJob(job.id as string))?.returnvalue as ReconcileResult;
}

async function count(stack: Stack, query: 'fulfilled' | 'access' | 'reruns'): Promise<number> {
  const sql = stack.db.sql;
  const [row] =
    query === 'fulfilled'
      ? await sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled'`
      : query === 'access'
        ? await sql<{ n: number }[]>`select count(*)::int as n from access_grants`
        : await sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where attempt_count <> 1`;
  return row?.n ?? 0;
}

/** Reconciliation fulfills from the list pages it already reads, and sends no run for a session already queued. */
describe('reconciliation without extra load', () => {
  it('250 sessions whose webhooks never came: 3 list requests (+1 for expired sessions, +2 for refunds and disputes), 2 line item walks, products once, zero retrieves', { timeout: 90_000 }, async () => {
    const stack = await startStack({ workers: 1 });
    const queue = createReconcileQueue(stack.producer);
    try {
      const ids = Array.from({ length: 248 }, () => paidWithoutWebhook(stack, saleItems(3, 'sale')));
      // Two big orders: more line items than the list's expanded first page (10) carries.
      ids.push(paidWithoutWebhook(stack, saleItems(25, 'big')), paidWithoutWebhook(stack, saleItems(25, 'big')));
      stack.emulator.gate.resetStats();

      const result = await runReconcile(queue);
      expect(result).toEqual({ listed: 250, alreadyFinal: 0, needsAttention: 0, recorded: 250, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      const served = stack.emulator.gate.stats.servedByEndpoint;
      // Three pages of complete sessions (PaymentIntents expanded on them), one empty page of expired ones.
      expect(served['GET /v1/checkout/sessions']).toBe(4);
      expect(served['GET /v1/payment_intents/:id'] ?? 0).toBe(0);
      expect(served['GET /v1/checkout/sessions/:id'] ?? 0).toBe(0);
      expect(served['GET /v1/checkout/sessions/:id/line_items']).toBe(2);
      // sale0..2 and big0..9 (big10.. come expanded with the line item walk): one read on the first page that has them.
      expect(served['GET /v1/products']).toBeLessThanOrEqual(2);
      // Refunds and disputes created since the last pass (none): one empty page each.
      expect(served['GET /v1/refunds']).toBe(1);
      expect(served['GET /v1/disputes']).toBe(1);
      expect(stack.emulator.gate.stats.requests).toBeLessThanOrEqual(10);

      expect(await count(stack, 'fulfilled')).toBe(250);
      expect(await storedLineItemCount(stack, ids.at(-1) as string)).toBe(25);
      // The products' metadata reached the handlers: one access grant per sale order and big order.
      expect(await count(stack, 'access')).toBe(250);
      expect(await stack.queue.count()).toBe(0);

      // A second run finds everything final and spends one list request per page (and one each for expired sessions, refunds, disputes).
      stack.emulator.gate.resetStats();
      expect(await runReconcile(queue)).toEqual({ listed: 250, alreadyFinal: 250, needsAttention: 0, recorded: 0, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      expect(stack.emulator.gate.stats.requests).toBe(6);
    } finally {
      await queue.close();
      await stack.close();
    }
  });

  describe('sessions its pages cannot serve (a product that cannot be read)', () => {
    let stack: Stack;
    let queue: ReconcileQueue;
    beforeAll(async () => {
      // No fulfillment worker: queued runs stay queued. A reconcile worker of its own, wired as in production.
      stack = await startStack({ workers: 0 });
      queue = createReconcileQueue(stack.producer);
      // A worker's own connection on Redis (blocking reads want maxRetriesPerRequest null, as the worker role's has);
      // on Postgres the api's pool serves workers too.
      const connection = stack.queueBackend === 'redis' ? workerConnection(REDIS_URL) : undefined;
      if (connection !== undefined) afterAllClose.push(async () => void connection.disconnect());
      const bull = connection === undefined ? stack.producer : redisBull(connection, stack.producer.prefix);
      const worker = createReconcileWorker({
        bull,
        stripe: stack.stripe,
        sql: stack.db.sql,
        fulfillmentQueue: stack.queue,
        afterSaleQueue: stack.afterSaleQueue,
        handlers: fulfillmentHandlers({ callbackUrls: [] }),
        log: silent,
      });
      worker.on('error', () => undefined);
      afterAllClose.push(() => worker.close());
    });
    const afterAllClose: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const close of afterAllClose) await close();
      await queue.close();
      await stack.close();
    });

    it('hands them to a run, except those with a webhook or landing run already waiting; never records them without the product', async () => {
      const unreadable = (tag: string) => {
        const s = paid(stack, [{ name: 'Gone', unitAmount: 500, productId: `prod_gone_${tag}` }]);
        stack.emulator.store.deleteProduct(`prod_gone_${tag}`);
        return s;
      };
      const webhookQueued = unreadable('a');
      const landingQueued = unreadable('b').id;
      const lone = unreadable('c').id;
      const fine = paidWithoutWebhook(stack, saleItems(2, 'ok'));
      // The first one's webhook was acknowledged and its run waits (no worker); a customer opened the second's page.
      await stack.emulator.webhooks.send(webhookQueued.event);
      await enqueueLanding(stack.queue, landingQueued);
      const before = await stack.queue.getJobs(['waiting', 'prioritized', 'delayed']);

      const result = await runReconcile(queue);
      expect(result).toMatchObject({ recorded: 1, expired: 0, paymentFailed: 0, enqueued: 1, alreadyQueued: 2 });
      const after = await stack.queue.getJobs(['waiting', 'prioritized', 'delayed']);
      const added = after.filter((j) => !before.some((b) => b.id === j.id));
      expect(added.map((j) => j.data)).toEqual([expect.objectContaining({ sessionId: lone, trigger: 'reconcile' })]);
      const runsOf = (id: string) => after.filter((j) => j.data.sessionId === id).length;
      expect([runsOf(webhookQueued.id), runsOf(landingQueued), runsOf(lone)]).toEqual([1, 1, 1]);
      // Not recorded from the page: no row says anything about items whose product is unknown.
      const rows = await stack.db.sql`select id from checkout_sessions where id in ${stack.db.sql([webhookQueued.id, landingQueued, lone])}`;
      expect(rows).toHaveLength(0);
      expect(await storedLineItemCount(stack, fine)).toBe(2);
    });
  });

  it('exactly once when reconciliation races webhook runs and the landing page', { timeout: 90_000 }, async () => {
    const stack = await startStack({ workers: 2 });
    const queue = createReconcileQueue(stack.producer);
    try {
      const { store, webhooks } = stack.emulator;
      const events = Array.from({ length: 60 }, () => store.complete(store.createSession({ lineItems: saleItems(12, 'race') }).id, { paymentStatus: 'paid' }));
      const ids = events.map((e) => (e.data.object as { id: string }).id);
      const [result] = await Promise.all([
        runReconcile(queue),
        ...events.map((e) => webhooks.send(e)),
        ...ids.slice(0, 20).map((id) => fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`).then((r) => r.text())),
      ]);
      expect(result.listed).toBe(60);
      await waitFor(async () => ((await count(stack, 'fulfilled')) === 60 ? true : undefined), 'all 60 fulfilled');
      await waitForQueueDrained(stack);
      expect(await count(stack, 'reruns')).toBe(0);
      expect(await count(stack, 'access')).toBe(60);
      const [items] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_line_items`;
      expect(items?.n).toBe(60 * 12);
      expect(await stack.queue.getFailedCount()).toBe(0);
    } finally {
      await queue.close();
      await stack.close();
    }
  });
});
