import { afterAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { freePort } from '../../helpers/ports.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { SECRET_KEY, WEBHOOK_SECRET, startStack, type Stack } from '../../helpers/stack.js';

/** Logs are data: one JSON line per event, ids as fields, no secret ever, no customer PII unless asked. */
describe('logs', () => {
  const procs: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  });

  async function driveEveryPath(logPii: boolean): Promise<{ stack: Stack; logs: string; email: string }> {
    const stack = await startStack({ workers: 0 });
    const port = await freePort();
    const env = stack.env({ LOG_LEVEL: 'trace', LOG_PII: String(logPii), PORT: String(port), RECONCILE_INTERVAL: '1h', METRICS_TOKEN: 'metrics-token-0123456789' });
    const api = startProcess('src/entry/api.ts', env);
    const worker = startProcess('src/entry/worker.ts', env);
    procs.push(api, worker);
    await Promise.all([waitForOutput(api, 'api listening'), waitForOutput(worker, 'worker started')]);
    const base = `http://127.0.0.1:${port}`;
    const email = `ada.${Date.now()}@example.com`;

    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    const event = stack.emulator.store.complete(s.id, { paymentStatus: 'paid', email, name: 'Ada Lovelace' });
    const body = JSON.stringify(event);
    const post = (payload: string, signature?: string) =>
      fetch(`${base}/webhook`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) } });
    expect((await post(body, signPayload(body, [WEBHOOK_SECRET]))).status).toBe(200);
    expect((await post(body)).status).toBe(400);
    expect((await post(body, signPayload(body, ['whsec_wrong_secret_0123456789']))).status).toBe(400);
    const other = JSON.stringify({ ...event, type: 'invoice.paid' });
    expect((await post(other, signPayload(other, [WEBHOOK_SECRET]))).status).toBe(200);
    await fetch(`${base}/after-checkout?session_id=${s.id}`);
    await fetch(`${base}/api/checkout-sessions/${s.id}`);
    await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    await fetch(`${base}/readyz`);
    const missing = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.deleteSession(missing.id);
    await fetch(`${base}/after-checkout?session_id=${missing.id}`);
    await runCli(['fulfill', s.id], env);
    await waitForStatus(stack, s.id, 'fulfilled');
    await waitForOutput(worker, 'reconciliation finished');
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all([api.exited, worker.exited]);
    return { stack, logs: api.output() + worker.output(), email };
  }

  it('never contain the secret key or a signing secret; ids are fields; PII redacted by default', async () => {
    const { stack, logs, email } = await driveEveryPath(false);
    try {
      const lines = logs.split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(logs).not.toContain(SECRET_KEY);
      expect(logs).not.toContain(WEBHOOK_SECRET);
      expect(logs).not.toContain('whsec_');
      expect(logs).not.toContain(email);
      // The webhook's run (the landing page's run, which has no event, may finish first: it skips the batch window).
      const run = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'fulfillment run' && l.eventId !== undefined);
      expect(run).toMatchObject({ sessionId: expect.stringMatching(/^cs_test_/), jobId: expect.any(String), eventId: expect.stringMatching(/^evt_/), customerEmail: '[redacted]' });
      const enqueued = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'webhook enqueued');
      expect(enqueued).toMatchObject({ reqId: expect.any(String), eventId: expect.any(String), sessionId: expect.any(String), jobId: expect.any(String) });
    } finally {
      await stack.close();
    }
  });

  it('LOG_PII=true keeps the customer email', async () => {
    const { stack, logs, email } = await driveEveryPath(true);
    try {
      expect(logs).toContain(email);
      expect(logs).not.toContain(WEBHOOK_SECRET);
    } finally {
      await stack.close();
    }
  });
});
