import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { sample } from '../../helpers/prometheus.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { WEBHOOK_SECRET, startStack, type Stack } from '../../helpers/stack.js';
import { sleep } from '../../helpers/wait.js';

const TOKEN = 'metrics-token-0123456789';

describe('health, readiness and metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ metricsToken: TOKEN, workers: 0 });
  });
  afterAll(async () => stack.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.apiUrl}${path}`, { headers });

  it('Bull Board is off (404) when no admin credentials are configured', async () => {
    expect((await get('/admin/queues')).status).toBe(404);
  });

  it('/healthz answers 200; /readyz 200 with every check ok', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } });
  });

  it('/readyz answers 503 naming a migration that is not applied', async () => {
    const [last] = await stack.db.sql`select id, hash, created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    await stack.db.sql`delete from drizzle.__drizzle_migrations where id = ${last?.id}`;
    try {
      const res = await get('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', migrations: 'failed (npm run db:migrate)' } });
    } finally {
      await stack.db.sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${last?.id}, ${last?.hash}, ${last?.created_at})`;
    }
  });

  it('/metrics wants the bearer token, then counts webhooks, signature failures, queue depth and sessions', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);

    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    const body = JSON.stringify(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    const post = (signature: string) =>
      fetch(`${stack.apiUrl}/webhook`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
    expect((await post(signPayload(body, [WEBHOOK_SECRET]))).status).toBe(200);
    expect((await post('t=1,v1=bad')).status).toBe(400);

    const res = await get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'fulfillment_webhooks_total', { type: 'checkout.session.completed', outcome: 'enqueued' })).toBe(1);
    expect(sample(text, 'fulfillment_webhook_signature_failures_total')).toBe(1);
    expect(sample(text, 'fulfillment_enqueue_duration_seconds_count')).toBe(1);
    // A webhook run waits in BullMQ's plain list (first in first out), not in the prioritized set.
    expect(sample(text, 'fulfillment_queue_jobs', { state: 'waiting' })).toBe(1);
    expect(sample(text, 'fulfillment_queue_jobs', { state: 'prioritized' })).toBe(0);
    expect(sample(text, 'fulfillment_queue_oldest_waiting_seconds')).toBeGreaterThanOrEqual(0);
  });
});

describe('readiness when Redis is down', () => {
  it('/readyz answers 503 naming redis, and 200 again once it is back', async () => {
    const redis = await PrivateRedis.start();
    const stack = await startStack({ redisUrl: redis.url, workers: 0 });
    try {
      await redis.down();
      const res = await fetch(`${stack.apiUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(body.checks.redis).toBe('failed (REDIS_URL)');
      // The error text (addresses, internals) stays in the logs.
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|writeable|127.0.0.1/);
      expect(body.checks.postgres).toBe('ok');
      await redis.up();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${stack.apiUrl}/readyz`)).status;
        if (status !== 200) await sleep(100);
      }
      expect(status).toBe(200);
    } finally {
      await redis.up().catch(() => undefined);
      await stack.close();
      await redis.down();
    }
  });
});

describe('worker process HTTP', () => {
  it('serves /healthz, /readyz and its own metrics (jobs, run duration, Stripe requests by status) on WORKER_HTTP_PORT', async () => {
    const stack = await startStack({ workers: 0 });
    const port = await freePort();
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_HTTP_PORT: String(port) }));
    try {
      await waitForOutput(worker, 'worker started');
      const s = stack.emulator.store.createSession({ lineItems: items(2) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      await waitForStatus(stack, s.id, 'fulfilled');
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(sample(text, 'fulfillment_jobs_total', { result: 'completed', service: 'worker' })).toBe(1);
      expect(sample(text, 'fulfillment_run_duration_seconds_count', { status: 'fulfilled' })).toBe(1);
      expect(sample(text, 'stripe_requests_total', { method: 'GET', endpoint: '/v1/checkout/sessions/:id', status: '200' })).toBe(1);
      // The api reads sessions by final status from Postgres at scrape time.
      const api = await (await fetch(`${stack.apiUrl}/metrics`)).text();
      expect(sample(api, 'fulfillment_sessions', { status: 'fulfilled' })).toBe(1);
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
      await stack.close();
    }
  });
});
