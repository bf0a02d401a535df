import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Each configuration variable whose effect shows from outside, through the real compiled entry points:
 * a variable parsed but not wired into the process's graph fails here.
 */
describe('configuration reaches the running processes', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Two attempts per job, 10 ms apart: a failing run ends soon.
    stack = await startStack({ workers: 0, attempts: 2, backoffMs: 10 });
  });
  afterAll(async () => stack.close());

  async function api(env: Record<string, string>): Promise<{ p: RunningProcess; base: string }> {
    const port = await freePort();
    const p = startProcess('src/entry/api.ts', stack.env({ LOG_LEVEL: 'info', PORT: String(port), ...env }));
    await waitForOutput(p, 'api listening');
    return { p, base: `http://127.0.0.1:${port}` };
  }

  /** The JSON log lines a process printed that have this message. */
  const lines = (p: RunningProcess, msg: string) =>
    p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);

  it('TRUST_PROXY: behind a proxy, each X-Forwarded-For client has its own rate-limit bucket (RATE_LIMIT_PER_MINUTE)', async () => {
    const { p, base } = await api({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const from = async (ip: string) => (await fetch(`${base}/api/checkout-sessions/cs_test_nobody`, { headers: { 'x-forwarded-for': ip } })).status;
      const first = [await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1')];
      expect(first.slice(0, 2).every((s) => s !== 429)).toBe(true);
      expect(first[2]).toBe(429);
      expect(await from('203.0.113.2')).not.toBe(429);
      expect(await from('203.0.113.3')).not.toBe(429);
    } finally {
      p.kill();
      await p.exited;
    }
  });

  it("STRIPE_MAX_NETWORK_RETRIES: the api's Stripe client retries a 500 that many times", async () => {
    const { p, base } = await api({ STRIPE_MAX_NETWORK_RETRIES: '3' });
    try {
      stack.emulator.gate.knobs.errorRate = 1;
      stack.emulator.gate.resetStats();
      const res = await fetch(`${base}/shop/checkout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'product=field-guide', redirect: 'manual' });
      expect(res.status).toBe(500);
      expect(stack.emulator.gate.stats.byEndpoint).toEqual({ 'POST /v1/checkout/sessions': 4 });
    } finally {
      stack.emulator.gate.knobs.errorRate = 0;
      p.kill();
      await p.exited;
    }
  });

  it("STRIPE_MAX_NETWORK_RETRIES: the worker's Stripe client retries a 500 that many times", async () => {
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', STRIPE_MAX_NETWORK_RETRIES: '3' }));
    try {
      await waitForOutput(worker, 'worker started');
      stack.emulator.gate.knobs.errorRate = 1;
      stack.emulator.gate.resetStats();
      const s = stack.emulator.store.createSession({ lineItems: items(1) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      await waitFor(async () => ((await stack.queue.getFailedCount()) === 1 ? true : undefined), 'the run to fail', 30_000);
      // Each attempt of the job (the api's JOB_ATTEMPTS) makes 1 + 3 requests.
      const [job] = await stack.queue.getFailed();
      expect(job?.attemptsMade).toBeGreaterThan(0);
      expect(stack.emulator.gate.stats.byEndpoint).toEqual({ 'GET /v1/checkout/sessions/:id': 4 * (job?.attemptsMade ?? 0) });
    } finally {
      stack.emulator.gate.knobs.errorRate = 0;
      worker.kill();
      await worker.exited;
    }
  });

  it('SHUTDOWN_TIMEOUT_MS bounds the api\'s graceful stop while a request is still in flight', async () => {
    const { p, base } = await api({ SHUTDOWN_TIMEOUT_MS: '1500', LANDING_WAIT_MS: '30000' });
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    // No worker: the landing page waits (LANDING_WAIT_MS) for a run nobody takes.
    const pending = fetch(`${base}/after-checkout?session_id=${s.id}`).then(
      (r) => r.status,
      () => 'closed',
    );
    await waitFor(async () => ((await stack.queue.getWaitingCount()) > 0 ? true : undefined), 'the landing run to be queued');
    p.kill('SIGTERM');
    expect(await p.exited).toBe(1);
    expect(lines(p, 'shutting down')[0]).toMatchObject({ deadlineMs: 1500 });
    expect(lines(p, 'shutdown deadline passed: exiting')).toEqual([expect.objectContaining({ deadlineMs: 1500 })]);
    expect(await pending).toBe('closed');
  });

  it('SHUTDOWN_TIMEOUT_MS bounds the worker\'s drain while a job is still running', async () => {
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '1500' }));
    try {
      await waitForOutput(worker, 'worker started');
      stack.emulator.gate.knobs.latencyMs = 30_000;
      const s = stack.emulator.store.createSession({ lineItems: items(1) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      await waitFor(async () => ((await stack.queue.getActiveCount()) > 0 ? true : undefined), 'the job to be active');
      worker.kill('SIGTERM');
      expect(await worker.exited).toBe(1);
      expect(lines(worker, 'shutdown deadline passed: exiting')).toEqual([expect.objectContaining({ deadlineMs: 1500 })]);
    } finally {
      stack.emulator.gate.knobs.latencyMs = 0;
      worker.kill('SIGKILL');
    }
  });
});
