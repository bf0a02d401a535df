import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items, waitForStatus } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { describeGrowth, params, TIMEOUT_MS, printCounts, runs, sampleMemory, tally } from './budget.js';
import { landingQuery, statusPathSegment } from './page-requests.js';

/**
 * The customer-facing inputs: `/after-checkout?session_id=…` and `/api/checkout-sessions/:id`, through the
 * real app with one worker, so a well-formed id really runs (the emulator answers "no such session").
 * Known sessions (paid, awaiting payment, expired, with odd customer data) are mixed into the ids.
 */
describe('fuzz: landing page and status API input', () => {
  let stack: Stack;
  const known: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ workers: 1, landingWaitMs: 2000 });
    const store = stack.emulator.store;
    const paid = store.createSession({ lineItems: [{ name: '<b>Bold</b> & "quoted" \u202e', unitAmount: 1, quantity: 1 }] });
    store.complete(paid.id, { paymentStatus: 'paid', email: "o'brien+x@example.com", name: '<script>alert(1)</script>' });
    const awaiting = store.createSession({ lineItems: items(1) });
    store.complete(awaiting.id, { paymentStatus: 'unpaid' });
    const expired = store.createSession({ lineItems: items(1) });
    store.expire(expired.id);
    const open = store.createSession({ lineItems: items(1) });
    known.push(paid.id, awaiting.id, expired.id, open.id);
    await fetch(`${stack.apiUrl}/after-checkout?session_id=${paid.id}`);
    await waitForStatus(stack, paid.id, 'fulfilled');
  });
  afterAll(async () => {
    printCounts('pages');
    await stack.close();
  });

  it('answers every generated landing query with an HTML page, never a 5xx, in bounded memory', async () => {
    const before = sampleMemory();
    await fc.assert(
      fc.asyncProperty(landingQuery(known), fc.constantFrom('/after-checkout', '/after-checkout/', '/after-checkout;x', '/after-checkout%00'), async (query, path) => {
        tally('landing: query and path (inject)');
        const url = `${path}?${query}`;
        const res = await stack.api.inject({ method: 'GET', url });
        const where = `${url.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect([200, 400, 404, 414], where).toContain(res.statusCode);
        // The route's own answers are pages; an unknown path gets the api's JSON 404.
        if (res.statusCode !== 404 || path === '/after-checkout') expect(String(res.headers['content-type']), where).toMatch(/^text\/html/);
      }),
      params(runs(20_000, 400)),
    );
    const after = sampleMemory();
    process.stdout.write(`landing fuzz memory: ${describeGrowth(before, after)}\n`);
    expect(after.heapUsed - before.heapUsed, describeGrowth(before, after)).toBeLessThan(64 * 1024 * 1024);
  }, TIMEOUT_MS);

  it('answers every generated status API path with JSON, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(statusPathSegment(known), fc.constantFrom('', '/', '?x=1', '/extra'), async (segment, tail) => {
        tally('status API: path (inject)');
        const url = `/api/checkout-sessions/${segment}${tail}`;
        const res = await stack.api.inject({ method: 'GET', url });
        const where = `${url.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect([200, 400, 404, 414], where).toContain(res.statusCode);
        const body = JSON.parse(res.body) as Record<string, unknown>;
        if (res.statusCode !== 200) expect(typeof body.error, where).toBe('string');
      }),
      params(runs(20_000, 400)),
    );
  }, TIMEOUT_MS);

  it('holds over real HTTP too', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(landingQuery(known).map((q) => `/after-checkout?${q}`), statusPathSegment(known).map((s) => `/api/checkout-sessions/${s}`)), async (url) => {
        tally('landing and status API (HTTP)');
        const res = await fetch(`${stack.apiUrl}${url}`);
        await res.arrayBuffer();
        // Node itself answers 431 when the request line and headers pass 16 KiB (full run, seed -1569281885).
        expect([200, 400, 404, 414, 431], `${url.slice(0, 300)} → ${res.status}`).toContain(res.status);
      }),
      params(runs(2_000, 100)),
    );
  }, TIMEOUT_MS);
});
