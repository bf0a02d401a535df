import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';

type Outcome = number | 'ok';

/** Stripe's request-rate limits, as the emulator enforces them when asked, seen through the real SDK. */
describe('emulator: Stripe rate limits', () => {
  let emulator: Emulator;
  // The limiter's clock stands still unless a test moves it: a burst never straddles two windows.
  let now = 1_700_000_000_000;
  const client = (key: string) => createStripeClient({ secretKey: key, apiBase: new URL(emulator.url()), maxNetworkRetries: 2 });
  let test: Stripe;
  let live: Stripe;
  let sessionId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ webhookSecrets: ['whsec_emulator_test_0123456789'], knobs: { stripeLimits: 'by-key' }, clock: () => now });
    test = client('sk_test_emulator');
    live = client('sk_live_emulator');
    sessionId = emulator.store.createSession({ lineItems: items(1) }).id;
  });
  afterAll(async () => emulator.app.close());
  beforeEach(() => {
    now += 1000;
    emulator.gate.knobs.stripeLimits = 'by-key';
    emulator.gate.resetStats();
  });

  const outcome = (p: Promise<unknown>): Promise<Outcome> => p.then(() => 'ok' as const, (e: { statusCode?: number }) => e.statusCode ?? -1);
  const burst = (n: number, call: () => Promise<unknown>) => Promise.all(Array.from({ length: n }, () => outcome(call())));
  const count = (outcomes: Outcome[], wanted: Outcome) => outcomes.filter((o) => o === wanted).length;

  it('answers 429 like Stripe: StripeRateLimitError, code rate_limit, Stripe-Should-Retry false, so the SDK does not retry', async () => {
    await burst(25, () => test.checkout.sessions.retrieve(sessionId));
    const before = emulator.gate.stats.requests;
    const err = await test.checkout.sessions.retrieve(sessionId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(err).toMatchObject({ statusCode: 429, code: 'rate_limit', type: 'StripeRateLimitError', raw: { type: 'invalid_request_error' } });
    expect((err as Stripe.errors.StripeError).headers?.['stripe-should-retry']).toBe('false');
    // maxNetworkRetries is 2, yet one request only: Stripe's libraries leave real rate limits to the caller.
    expect(emulator.gate.stats.requests - before).toBe(1);
  });

  it('a test key gets 25 requests/s in all, across endpoints', async () => {
    const outcomes = [
      ...(await burst(15, () => test.checkout.sessions.retrieve(sessionId))),
      ...(await burst(15, () => test.checkout.sessions.list({ limit: 1 }))),
    ];
    expect(count(outcomes, 'ok')).toBe(25);
    expect(count(outcomes, 429)).toBe(5);
    now += 1000;
    expect(await outcome(test.checkout.sessions.retrieve(sessionId))).toBe('ok');
  });

  it('a live key gets 25/s per endpoint and 100/s in all', async () => {
    const retrieves = await burst(30, () => live.checkout.sessions.retrieve(sessionId));
    expect([count(retrieves, 'ok'), count(retrieves, 429)]).toEqual([25, 5]);
    const others = [
      ...(await burst(25, () => live.checkout.sessions.list({ limit: 1 }))),
      ...(await burst(25, () => live.checkout.sessions.listLineItems(sessionId))),
      ...(await burst(25, () => live.products.list({ limit: 1 }))),
    ];
    // 25 + 75 = 100 served this second: the fifth endpoint is refused though it has not been used.
    expect(count(others, 'ok')).toBe(75);
    expect(await outcome(live.products.retrieve('prod_unknown'))).toBe(429);
    now += 1000;
    expect(await outcome(live.products.retrieve('prod_unknown'))).toBe(404);
  });

  it('each connected account (Stripe-Account) has a budget of its own', async () => {
    const connected = emulator.store.createSession({ lineItems: items(1) }, 'acct_1Limits');
    const platform = await burst(26, () => test.checkout.sessions.retrieve(sessionId));
    expect(count(platform, 429)).toBe(1);
    const other = await burst(25, () => test.checkout.sessions.retrieve(connected.id, {}, { stripeAccount: 'acct_1Limits' }));
    expect(count(other, 'ok')).toBe(25);
    expect(await outcome(test.checkout.sessions.retrieve(connected.id, {}, { stripeAccount: 'acct_1Limits' }))).toBe(429);
  });

  it("'live' enforces the live-mode limits with a test key; 'off' enforces none", async () => {
    emulator.gate.knobs.stripeLimits = 'live';
    const outcomes = await burst(30, () => test.checkout.sessions.retrieve(sessionId));
    expect(count(outcomes, 'ok')).toBe(25);
    const list = await burst(25, () => test.checkout.sessions.list({ limit: 1 }));
    expect(count(list, 'ok')).toBe(25);
    emulator.gate.knobs.stripeLimits = 'off';
    expect(count(await burst(120, () => test.checkout.sessions.retrieve(sessionId)), 'ok')).toBe(120);
  });

  it('the knob is set over HTTP and validated', async () => {
    const put = (body: unknown) => fetch(`${emulator.url()}/_emulator/knobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await put({ stripeLimits: 'sometimes' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.stringContaining('stripeLimits') });
    expect((await put({ stripeLimits: 'live' })).status).toBe(200);
    expect(emulator.gate.knobs.stripeLimits).toBe('live');
  });
});
