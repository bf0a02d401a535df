import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** DISPUTE_POLICY through the real entry point: a worker process started as production starts it. */
describe('DISPUTE_POLICY', () => {
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

  it('an invalid value stops the worker with one line naming the variable', async () => {
    const p = startProcess('src/entry/worker.ts', stack.env({ DISPUTE_POLICY: 'pause' }));
    // A configuration error exits 2, as every other one does (roles/boot.ts).
    expect(await p.exited).toBe(2);
    const fatal = p
      .output()
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.level === 60);
    expect(fatal).toMatchObject({ code: 'config_invalid', variables: ['DISPUTE_POLICY'] });
    expect(String(fatal?.msg)).toContain('suspend, revoke, ignore');
  });

  it('revoke: an open dispute revokes every item (the default would suspend them)', async () => {
    const httpPort = await freePort();
    worker = startProcess('src/entry/worker.ts', stack.env({ DISPUTE_POLICY: 'revoke', LOG_LEVEL: 'info', WORKER_HTTP_PORT: String(httpPort) }));
    await waitForOutput(worker, 'worker started');
    const em = stack.emulator;
    const s = em.store.createSession({ lineItems: items(2) });
    await em.webhooks.send(em.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const pi = (em.store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
    await em.webhooks.sendInOrder(em.disputes.open(pi).events);
    const body = await waitFor(async () => {
      const v = (await status(stack, s.id)).body;
      return v.dispute_status === 'needs_response' && v.access !== 'active' ? v : undefined;
    }, 'the dispute recorded');
    expect(body.access).toBe('revoked');
    expect((body.line_items as { access: string }[]).map((i) => i.access)).toEqual(['revoked', 'revoked']);
    // The worker counts its after-sale runs (two events: created and funds_withdrawn; one changed the order).
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      return /fulfillment_after_sale_runs_total\{outcome="unchanged",service="worker"\} 1/.test(text) ? text : undefined;
    }, 'both runs counted');
    expect(metrics).toMatch(/fulfillment_after_sale_runs_total\{outcome="changed",service="worker"\} 1/);
  });
});
