import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedSessionIds } from '../../../src/db/fulfillment-failures.js';
import { finalSessionIds } from '../../../src/db/final-sessions.js';
import { MAX_TEXT_LENGTH } from '../../../src/domain/storable.js';
import { reconcile } from '../../../src/domain/reconcile.js';
import type { LineItemSpec } from '../../../src/emulator/objects.js';
import { failureCodeOf } from '../../../src/queue/job-failure.js';
import { freePort } from '../../helpers/ports.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { sample } from '../../helpers/prometheus.js';
import { waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const NUL = '\u0000';
const LONE_HIGH = '\uD83D';

/**
 * Poison data from Stripe never stalls an order: sessions carrying what Postgres cannot store are made
 * storable and fulfilled; one that still fails deterministically fails once, is held for an operator,
 * and is not run again by the landing page or reconciliation. Emulator sessions, a real worker process.
 */
describe('poison data', () => {
  let stack: Stack;
  let worker: RunningProcess;
  let metricsUrl: string;
  beforeAll(async () => {
    stack = await startStack({ workers: 0, attempts: 5 });
    const port = await freePort();
    worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_HTTP_PORT: String(port) }));
    await waitForOutput(worker, 'worker started');
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await stack.close();
  });

  async function paidSession(lineItems: LineItemSpec[], name = 'Jenny Rosen'): Promise<string> {
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({ lineItems, shippingCountries: ['US'] });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', name }));
    return s.id;
  }

  async function storedTexts(sessionId: string): Promise<string[]> {
    const [session] = await stack.db.sql<{ customer_name: string | null }[]>`select customer_name from checkout_sessions where id = ${sessionId}`;
    const items = await stack.db.sql<{ description: string | null }[]>`select description from checkout_line_items where session_id = ${sessionId}`;
    const grants = await stack.db.sql<{ product_name: string | null }[]>`select product_name from access_grants where session_id = ${sessionId}`;
    return [session?.customer_name, ...items.map((i) => i.description), ...grants.map((g) => g.product_name)].filter((t): t is string => t !== null && t !== undefined);
  }

  it.each([
    ['NUL in a product name', [{ name: `Book${NUL} of Nulls`, unitAmount: 1200, metadata: { fulfillment: 'access' } }], undefined, 'Book of Nulls'],
    ['NUL in a line item description', [{ name: 'Plain', description: `Desc${NUL}ription`, unitAmount: 900 }], undefined, 'Description'],
    ['NUL in the customer name', [{ name: 'Mug', unitAmount: 1500, metadata: { fulfillment: 'shipping' } }], `Ada${NUL} Lovelace`, 'Ada Lovelace'],
    ['a lone surrogate in a product name', [{ name: `Emoji ${LONE_HIGH}half`, unitAmount: 700, metadata: { fulfillment: 'access' } }], undefined, 'Emoji half'],
    ['a 1 MB description', [{ name: 'Huge', description: 'x'.repeat(1024 * 1024), unitAmount: 500 }], undefined, 'x'.repeat(MAX_TEXT_LENGTH)],
  ] as const)('%s: fulfilled, with the text made storable', async (_name, lineItems, customerName, expected) => {
    const id = await paidSession([...lineItems], customerName);
    await waitForStatus(stack, id, 'fulfilled');
    const texts = await storedTexts(id);
    expect(texts).toContain(expected);
    for (const t of texts) {
      expect(t).not.toContain(NUL);
      expect(t.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
      expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
    expect(await stack.queue.getFailedCount()).toBe(0);
  });

  it('a session Postgres still refuses (quantity past integer range) fails once, is held, and is not run again', async () => {
    // 3,000,000,000 fits Stripe's JSON and a bigint amount but not the `quantity integer` column: SQLSTATE 22003.
    const id = await paidSession([{ name: 'Too many', unitAmount: 1, quantity: 3_000_000_000 }]);
    const [job] = await waitFor(async () => {
      const failed = (await stack.queue.getFailed()).filter((j) => j.data.sessionId === id);
      return failed.length > 0 ? failed : undefined;
    }, 'the poison job to fail');
    // Permanent at once: one attempt of five, in Bull Board's failed list with its code.
    expect(job?.attemptsMade).toBe(1);
    expect(failureCodeOf(job?.failedReason)).toBe('poison_data');
    expect(job?.failedReason).toContain('22003');

    const [held] = await stack.db.sql<{ code: string; failures: number }[]>`select code, failures from fulfillment_failures where session_id = ${id}`;
    expect(held).toEqual({ code: 'poison_data', failures: 1 });

    const errorLine = await waitFor(
      () =>
        worker
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; sessionId?: string; msg: string; code?: string })
          .find((l) => l.level >= 50 && l.sessionId === id),
      'an error log line naming the session',
    );
    expect(errorLine).toMatchObject({ code: 'poison_data', msg: expect.stringMatching(/needs attention/) });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(sample(metrics, 'fulfillment_permanent_failures_total', { code: 'poison_data' })).toBe(1);
    expect(sample(metrics, 'fulfillment_jobs_total', { result: 'failed' })).toBe(1);

    // The landing page says so, and asks for no run, however often it is visited.
    const jobsBefore = (await stack.queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'])).length;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('Your order needs our attention');
      expect(page).not.toContain('http-equiv="refresh"');
    }
    expect((await stack.queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'])).length).toBe(jobsBefore);

    // Reconciliation sees it among Stripe's completed sessions and leaves it to the operator.
    const touched: string[] = [];
    const counts = await reconcile(3600_000, {
      stripe: stack.stripe,
      finalIds: (ids) => finalSessionIds(stack.db.sql, ids),
      heldIds: (ids) => failedSessionIds(stack.db.sql, ids),
      // Every other session of this file is final: nothing may be recorded or run.
      record: async (input) => {
        touched.push(input.session.id);
        throw new Error('no session should be recorded here');
      },
      queuedIds: async () => new Set<string>(),
      enqueue: async (sessionId) => {
        touched.push(sessionId);
      },
    });
    expect(touched).toEqual([]);
    expect(counts.needsAttention).toBe(1);

    // The operator sees why.
    const status = await runCli(['status', id], stack.env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ session_id: id, status: null, needs_attention: { code: 'poison_data', failures: 1 } });
  });
});
