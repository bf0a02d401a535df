import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items, waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/** The landing page's contract over HTTP (the browser tests cover what a customer sees). */
describe('GET /after-checkout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ rateLimitPerMinute: 1000 });
  });
  afterAll(async () => stack.close());

  const landing = (id: string) => fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`);

  function paid(): Stripe.Checkout.Session {
    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    return s;
  }

  it('fulfills a paid session whose webhook never came, and serves strict security headers', async () => {
    const s = paid();
    const res = await landing(s.id);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Thank you! Your order is confirmed.');
    expect(body).toContain('<html lang="en">');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const styleNonce = /style-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(body).toContain(`<style nonce="${styleNonce}">`);
  });

  it('a reload storm keeps at most one landing job in flight per session', async () => {
    const s = paid();
    stack.emulator.gate.knobs.latencyMs = 300;
    try {
      const pages = await Promise.all(Array.from({ length: 20 }, () => landing(s.id).then((r) => r.text())));
      expect(pages.every((p) => p.includes('Your order is confirmed'))).toBe(true);
    } finally {
      stack.emulator.gate.knobs.latencyMs = 0;
    }
    await waitForQueueDrained(stack);
    const jobs = (await stack.queue.getJobs(['completed', 'failed'])).filter((j) => j.data.sessionId === s.id);
    expect(jobs).toHaveLength(1);
  });

  it('renders a fulfilled session from Postgres without a queue round trip', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    await waitForQueueDrained(stack);
    const before = (await stack.queue.getJobs(['completed'])).length;
    for (let i = 0; i < 5; i++) expect((await landing(s.id)).status).toBe(200);
    expect((await stack.queue.getJobs(['completed', 'waiting', 'active'])).length).toBe(before);
  });

  it('shows the processing page for a delayed payment, with a refresh that works without JavaScript', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' });
    const body = await (await landing(s.id)).text();
    expect(body).toContain('Your payment is processing');
    // Without JavaScript only, and backing off: the script polls the status API instead.
    expect(body).toContain(`<noscript><meta http-equiv="refresh" content="5; url=/after-checkout?session_id=${s.id}&amp;refresh=1"></noscript>`);
    expect(body).toContain('role="status"');
    // No email promised while no email is configured.
    expect(body).not.toContain('email');
  });

  it('shows payment failed and expired pages', async () => {
    const failed = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(failed.id, { paymentStatus: 'unpaid' });
    await stack.emulator.webhooks.send(stack.emulator.store.asyncPayment(failed.id, 'failed'));
    await waitForStatus(stack, failed.id, 'payment_failed');
    expect(await (await landing(failed.id)).text()).toContain("Your payment didn't go through");

    const expired = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.expire(expired.id));
    await waitForStatus(stack, expired.id, 'expired');
    expect(await (await landing(expired.id)).text()).toContain('This checkout expired');
  });

  it('says "still working" when the run outlasts LANDING_WAIT_MS, then catches up', async () => {
    const slow = await startStack({ landingWaitMs: 200, emulatorLatencyMs: 1500 });
    try {
      const s = slow.emulator.store.createSession({ lineItems: items(1) });
      slow.emulator.store.complete(s.id, { paymentStatus: 'paid' });
      const first = await fetch(`${slow.apiUrl}/after-checkout?session_id=${s.id}`);
      expect(first.status).toBe(200);
      const body = await first.text();
      expect(body).toContain("We're confirming your order");
      expect(body).toContain('http-equiv="refresh"');
      await waitForStatus(slow, s.id, 'fulfilled');
      expect(await (await fetch(`${slow.apiUrl}/after-checkout?session_id=${s.id}`)).text()).toContain('Your order is confirmed');
    } finally {
      await slow.close();
    }
  });

  it('behind a trusted proxy, counts each client (X-Forwarded-For) on its own', async () => {
    const proxied = await startStack({ rateLimitPerMinute: 2, workers: 0, trustProxy: true });
    try {
      const from = (ip: string) => fetch(`${proxied.apiUrl}/after-checkout?session_id=bad`, { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);
      expect([await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1')]).toEqual([400, 400, 429]);
      expect(await from('203.0.113.2')).toBe(400);
    } finally {
      await proxied.close();
    }
  });

  it('answers a friendly 429 page past the per-IP limit, and 429 JSON on the status API', async () => {
    const limited = await startStack({ rateLimitPerMinute: 3, workers: 0 });
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await fetch(`${limited.apiUrl}/after-checkout?session_id=bad`)).status);
      expect(codes).toEqual([400, 400, 400, 429]);
      const page = await fetch(`${limited.apiUrl}/after-checkout?session_id=bad`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('Just a moment');
      for (let i = 0; i < 3; i++) await fetch(`${limited.apiUrl}/api/checkout-sessions/cs_test_x`);
      const api = await fetch(`${limited.apiUrl}/api/checkout-sessions/cs_test_x`);
      expect(api.status).toBe(429);
      expect(await api.json()).toMatchObject({ error: 'rate_limited' });
      // Stripe is never rate limited by this.
      expect((await fetch(`${limited.apiUrl}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    } finally {
      await limited.close();
    }
  });

  it('a page request refused as malformed stays a 4xx, with an HTML page that does not retry', async () => {
    const wrongType = await fetch(`${stack.apiUrl}/shop/checkout`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<product/>' });
    expect(wrongType.status).toBe(415);
    const tooBig = await fetch(`${stack.apiUrl}/shop/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `product=${'x'.repeat(2 * 1024 * 1024)}`,
    });
    expect(tooBig.status).toBe(413);
    for (const res of [wrongType, tooBig]) {
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const body = await res.text();
      expect(body).toContain('That request could not be understood');
      expect(body).not.toContain('http-equiv="refresh"');
    }
  });
});
