import fc from 'fast-check';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../src/emulator/webhook-sender.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { items } from '../helpers/sessions.js';
import { startStack, WEBHOOK_SECRET, type Stack } from '../helpers/stack.js';
import { describeGrowth, params, TIMEOUT_MS, printCounts, runs, sampleMemory, tally } from './budget.js';
import { genuineRequests, webhookRequests, type WebhookRequest } from './webhook-requests.js';

/** Codes the webhook may answer; anything else (a 5xx above all) is a defect. */
const ALLOWED = new Set([200, 400, 413, 415]);

/**
 * POST /webhook against the real api (the stack's app, Redis, the emulator's events), with no worker:
 * only the edge is under test here. Most inputs go through `app.inject` (the real app, minus the socket),
 * some thousands over real HTTP.
 */
describe('fuzz: POST /webhook', () => {
  let stack: Stack;
  let base: Stripe.Event;
  let sent = 0;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    const session = stack.emulator.store.createSession({ lineItems: items(2) });
    base = stack.emulator.store.complete(session.id, { paymentStatus: 'paid' });
  });
  afterAll(async () => {
    printCounts('webhook');
    await stack.close();
  });

  /** Keeps the shared Redis small over 100,000 inputs: jobs from earlier inputs are of no further use. */
  async function housekeeping(): Promise<void> {
    if (++sent % 5000 === 0) await stack.queue.obliterate({ force: true });
  }

  async function inject(req: WebhookRequest) {
    const res = await stack.api.inject({ method: 'POST', url: '/webhook', payload: req.body, headers: req.headers });
    return { status: res.statusCode, text: res.body };
  }

  function check(req: WebhookRequest, res: { status: number; text: string }, allowed = ALLOWED): void {
    const where = `${req.label}: ${res.status} ${res.text.slice(0, 200)}`;
    expect(allowed.has(res.status), where).toBe(true);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    if (res.status >= 400) expect(typeof body.error, where).toBe('string');
    if (req.mustEnqueue) expect(body, where).toMatchObject({ received: true, jobId: expect.any(String) });
  }

  it('answers every generated request with 2xx or a clear 4xx, never a 5xx, in bounded memory', async () => {
    const before = sampleMemory();
    await fc.assert(
      fc.asyncProperty(webhookRequests(base), async (req) => {
        tally('webhook: any request (inject)');
        await housekeeping();
        check(req, await inject(req));
      }),
      params(runs(90_000, 2_000)),
    );
    const after = sampleMemory();
    process.stdout.write(`webhook fuzz memory: ${describeGrowth(before, after)}\n`);
    // Whatever `type` a signed event carries, the metrics keep a bounded set of series (no label per input).
    const metrics = await stack.api.inject({ method: 'GET', url: '/metrics' });
    const series = metrics.body.split('\n').filter((l) => l.startsWith('fulfillment_webhooks_total{'));
    expect(series.length, series.slice(0, 20).join('\n')).toBeLessThanOrEqual(40);
    // The api keeps nothing per request; what remains after a full collection is caches and JIT code.
    expect(after.heapUsed - before.heapUsed, describeGrowth(before, after)).toBeLessThan(64 * 1024 * 1024);
  }, TIMEOUT_MS);

  // Inputs the fuzzer found, written out literally.
  it.each([
    // Seed -159220411, path 26:0: a correctly signed JSON `null` was a 500 (fixed on the webhook edge, issue 11).
    ['null', 400],
    ['[]', 400],
    ['7', 400],
    ['"evt"', 400],
  ])('answers a correctly signed %s with %i, not a 5xx', async (body, status) => {
    const res = await stack.api.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, [WEBHOOK_SECRET]) } });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: 'not_an_event' });
  });

  it('keeps one metric series for all unhandled event types, however many a signed payload invents', async () => {
    // Quick run, 2,000 inputs: 129 series, one per generated `type` (numbers, objects, 5,000-character strings).
    const types = ['charge.refunded', 'x'.repeat(5000), '\u{10ffff}', '', 'undefined'];
    for (const [i, type] of [...types, { nested: true }, 42].entries()) {
      const body = JSON.stringify({ ...base, id: `evt_metric${i}`, type });
      const res = await stack.api.inject({ method: 'POST', url: '/webhook', payload: body, headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, [WEBHOOK_SECRET]) } });
      expect(res.json()).toMatchObject({ received: true, ignored: 'unhandled_type' });
    }
    const metrics = (await stack.api.inject({ method: 'GET', url: '/metrics' })).body;
    const ignored = metrics.split('\n').filter((l) => l.startsWith('fulfillment_webhooks_total{') && l.includes('outcome="ignored_type"'));
    expect(ignored).toEqual([expect.stringMatching(/^fulfillment_webhooks_total\{type="other",outcome="ignored_type",service="api"\} \d+$/)]);
  });

  it('enqueues every correctly signed, well-formed event however odd its other fields', async () => {
    await fc.assert(
      fc.asyncProperty(genuineRequests(base), async (req) => {
        tally('webhook: genuine event, odd fields (inject)');
        await housekeeping();
        check(req, await inject(req));
      }),
      params(runs(8_000, 300)),
    );
  }, TIMEOUT_MS);

  it('takes a genuine event signed within 300 s either way, and refuses one older (expired_signature) or newer (future_signature)', async () => {
    // Offsets from now: most near the edges of the tolerance, some anywhere in ±30 years.
    const offsets = fc.oneof(fc.integer({ min: -400, max: 400 }), fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }));
    await fc.assert(
      fc.asyncProperty(genuineRequests(base), offsets, async (req, offset) => {
        tally('webhook: genuine event, signed at now ± offset (inject)');
        await housekeeping();
        const signedAt = Math.floor(Date.now() / 1000) + offset;
        const headers = { ...req.headers, 'stripe-signature': signPayload(req.body.toString('utf8'), [WEBHOOK_SECRET], signedAt) };
        const res = await stack.api.inject({ method: 'POST', url: '/webhook', payload: req.body, headers });
        const where = `offset ${offset}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        // A margin of 5 s either side of the edge: the clock moves between signing and checking.
        if (Math.abs(offset) <= 295) expect(res.json(), where).toMatchObject({ received: true, jobId: expect.any(String) });
        else if (offset < -305) expect(res.json(), where).toMatchObject({ error: 'expired_signature' });
        else if (offset > 305) expect(res.json(), where).toMatchObject({ error: 'future_signature' });
      }),
      params(runs(10_000, 300)),
    );
  }, TIMEOUT_MS);

  it('holds over real HTTP too (the socket, Node header limits, keep-alive)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(webhookRequests(base), genuineRequests(base)), async (req) => {
        tally('webhook: any request (HTTP)');
        await housekeeping();
        const res = await fetch(`${stack.apiUrl}/webhook`, { method: 'POST', body: req.body, headers: req.headers });
        const text = await res.text();
        // Node itself answers 431 (headers over 16 KiB) before the app sees the request.
        check(req, { status: res.status, text: res.status === 431 ? '{"error":"headers_too_large"}' : text }, new Set([...ALLOWED, 431]));
      }),
      params(runs(3_000, 200)),
    );
  }, TIMEOUT_MS);
});

/** With Redis down, a request that would be enqueued gets 503 (Stripe retries it); nothing else changes. */
describe('fuzz: POST /webhook with Redis down', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let base: Stripe.Event;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startStack({ workers: 0, redisUrl: redis.url });
    const session = stack.emulator.store.createSession({ lineItems: items(1) });
    base = stack.emulator.store.complete(session.id, { paymentStatus: 'paid' });
    await redis.down();
  });
  afterAll(async () => {
    printCounts('webhook, Redis down');
    await redis.up();
    await stack.close();
    await redis.down();
  });

  it('answers 503 queue_unavailable only where it would have enqueued, and never another 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(webhookRequests(base), genuineRequests(base)), async (req) => {
        tally('webhook: any request, Redis down (inject)');
        const res = await stack.api.inject({ method: 'POST', url: '/webhook', payload: req.body, headers: req.headers });
        const where = `${req.label}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect([...ALLOWED, 503], where).toContain(res.statusCode);
        const body = JSON.parse(res.body) as Record<string, unknown>;
        if (res.statusCode === 503) expect(body, where).toMatchObject({ error: 'queue_unavailable' });
        if (req.mustEnqueue) expect(res.statusCode, where).toBe(503);
      }),
      params(runs(5_000, 300)),
    );
  }, TIMEOUT_MS);
});
