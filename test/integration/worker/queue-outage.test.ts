import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { PrivatePostgres } from '../../helpers/private-postgres.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { QUEUE_BACKEND, WEBHOOK_SECRET, startStack, type Stack } from '../../helpers/stack.js';
import { sleep } from '../../helpers/wait.js';

/**
 * Never a 2xx without the job in the queue: an outage of the queue's store turns into 503s that Stripe
 * retries. The store is a private Redis, or with TEST_QUEUE_BACKEND=postgres a private Postgres (then the
 * queue and the records go down together).
 */
describe(`queue store outage (${QUEUE_BACKEND})`, () => {
  let redis: PrivateRedis | PrivatePostgres;
  let stack: Stack;

  beforeAll(async () => {
    if (QUEUE_BACKEND === 'postgres') {
      const pg = await PrivatePostgres.start();
      redis = pg;
      stack = await startStack({ databaseAdminUrl: pg.adminUrl });
    } else {
      const r = await PrivateRedis.start();
      redis = r;
      stack = await startStack({ redisUrl: r.url });
    }
    // The outages below come after the worker's start-up checks: a store that is down then fails the start instead.
    await stack.workersReady();
  });
  afterAll(async () => {
    await redis.up().catch(() => undefined);
    await stack.close();
    await redis.down();
  });

  it('the landing page says "still working" while the queue store is down: no 500, no lookup', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(session.id, { paymentStatus: 'paid' });
    const retrieves = () => stack.emulator.gate.stats.byEndpoint['GET /v1/checkout/sessions/:id'] ?? 0;
    const before = retrieves();
    await redis.down();
    try {
      const res = await fetch(`${stack.apiUrl}/after-checkout?session_id=${session.id}`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("We're confirming your order");
      expect(retrieves()).toBe(before);
    } finally {
      await redis.up();
    }
  });

  it('answers 503 while the queue store is down; once it is back, the retried delivery is accepted and fulfilled', async () => {
    const session = stack.emulator.store.createSession({ lineItems: items(2) });
    const event = stack.emulator.store.complete(session.id, { paymentStatus: 'paid' });
    await redis.down();

    const body = JSON.stringify(event);
    const res = await fetch(`${stack.apiUrl}/webhook`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, [WEBHOOK_SECRET]) },
      // The api promises an answer within a second; this only turns a hang into a failure.
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'queue_unavailable' });

    // Stripe keeps retrying; bring the store back while it does.
    const delivered = stack.emulator.webhooks.send(event);
    await sleep(300);
    expect(stack.emulator.webhooks.deliveries.some((d) => d.eventId === event.id && d.status === 503)).toBe(true);
    await redis.up();
    await delivered;

    const attempts = stack.emulator.webhooks.deliveries.filter((d) => d.eventId === event.id);
    expect(attempts.at(-1)?.status).toBe(200);
    await waitForStatus(stack, session.id, 'fulfilled', 30_000);
  });

});
