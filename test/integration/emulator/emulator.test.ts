import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';

/** The emulator, driven by the real SDK over HTTP, answers like Stripe for what the service uses. */
describe('local Stripe emulator', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startEmulator({ webhookSecrets: ['whsec_emulator_test_0123456789'] });
    stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(emulator.url()), maxNetworkRetries: 0 });
  });
  afterAll(async () => emulator.app.close());

  it('creates a session from price_data through the SDK, shaped like Stripe', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      success_url: 'https://shop.example/after-checkout?session_id={CHECKOUT_SESSION_ID}',
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 1250, product_data: { name: 'Poster' } }, quantity: 2 },
        { price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Sticker' } }, quantity: 1 },
      ],
    });
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', payment_status: 'unpaid', livemode: false, currency: 'eur', amount_total: 3000 });
    expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]{58}$/);
    expect(session.url).toBe(`${emulator.url()}/pay/${session.id}`);
    expect(session.line_items).toBeUndefined();
  });

  it('expands line_items to the first page and paginates the rest with limit and starting_after', async () => {
    const s = emulator.store.createSession({ lineItems: items(25) });
    const expanded = await stripe.checkout.sessions.retrieve(s.id, { expand: ['line_items'] });
    expect(expanded.line_items?.data).toHaveLength(10);
    expect(expanded.line_items?.has_more).toBe(true);
    expect(expanded.line_items?.url).toBe(`/v1/checkout/sessions/${s.id}/line_items`);

    const page = await stripe.checkout.sessions.listLineItems(s.id, { limit: 7, starting_after: expanded.line_items?.data[9]?.id });
    expect(page.data.map((i) => i.description)).toEqual(['Item 11', 'Item 12', 'Item 13', 'Item 14', 'Item 15', 'Item 16', 'Item 17']);
    expect(page.has_more).toBe(true);
    const all = await stripe.checkout.sessions.listLineItems(s.id, { limit: 4 }).autoPagingToArray({ limit: 100 });
    expect(all.map((i) => i.id)).toEqual(emulator.store.peek(s.id)?.lineItems.map((i) => i.id));
    expect(all[0]).toMatchObject({ object: 'item', currency: 'usd', price: { object: 'price', type: 'one_time' } });
  });

  it('lists sessions newest first, filtered by status', async () => {
    const a = emulator.store.createSession({ lineItems: items(1) });
    const b = emulator.store.createSession({ lineItems: items(1) });
    emulator.store.complete(a.id, { paymentStatus: 'paid' });
    emulator.store.complete(b.id, { paymentStatus: 'paid' });
    const listed = await stripe.checkout.sessions.list({ status: 'complete', limit: 2 });
    expect(listed.data.map((s) => s.id)).toEqual([b.id, a.id]);
  });

  it("answers Stripe's error format: 404 resource_missing, 401 for a bad key, 400 for a bad limit", async () => {
    const missing = await stripe.checkout.sessions.retrieve('cs_test_doesnotexist').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', type: 'StripeInvalidRequestError' });

    const res = await fetch(`${emulator.url()}/v1/checkout/sessions/cs_test_x`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });

    const s = emulator.store.createSession({ lineItems: items(1) });
    const bad = await stripe.checkout.sessions.listLineItems(s.id, { limit: 500 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ statusCode: 400, param: 'limit' });
  });

  it('hides a connected account session from the platform, as Stripe does', async () => {
    const s = emulator.store.createSession({ lineItems: items(1) }, 'acct_1Example');
    await expect(stripe.checkout.sessions.retrieve(s.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(stripe.checkout.sessions.retrieve(s.id, {}, { stripeAccount: 'acct_1Example' })).resolves.toMatchObject({ id: s.id });
  });

  it('answers 429 above the configured rate and 5xx at the configured rate', async () => {
    const s = emulator.store.createSession({ lineItems: items(1) });
    Object.assign(emulator.gate.knobs, { maxRps: 3 });
    try {
      const codes = await Promise.all(
        Array.from({ length: 8 }, () => stripe.checkout.sessions.retrieve(s.id).then(() => 200, (e: { statusCode?: number }) => e.statusCode)),
      );
      // At most 3 in this one-second window get through (fewer if the window already had requests).
      expect(codes.filter((c) => c === 200).length).toBeLessThanOrEqual(3);
      expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(5);
      expect(codes.every((c) => c === 200 || c === 429)).toBe(true);
    } finally {
      Object.assign(emulator.gate.knobs, { maxRps: 0, errorRate: 1 });
    }
    try {
      await expect(stripe.checkout.sessions.retrieve(s.id)).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    } finally {
      emulator.gate.knobs.errorRate = 0;
    }
  });

  it('resets the connection without an answer at the configured rate, then serves again on a fresh one', async () => {
    const s = emulator.store.createSession({ lineItems: items(1) });
    const put = (body: unknown) => fetch(`${emulator.url()}/_emulator/knobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await put({ resetRate: 1.5 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.stringContaining('resetRate') });
    emulator.gate.resetStats();
    expect((await put({ resetRate: 1 })).status).toBe(200);
    try {
      const sdk = await stripe.checkout.sessions.retrieve(s.id).catch((e: unknown) => e);
      expect(sdk).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      const raw = await fetch(`${emulator.url()}/v1/checkout/sessions/${s.id}`, { headers: { authorization: 'Bearer sk_test_emulator' } }).catch((e: unknown) => e);
      expect(raw).toBeInstanceOf(TypeError);
      expect((raw as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
      // Every API request was reset (a client may try a reset keep-alive request once more on its own).
      expect(emulator.gate.stats.resets).toBeGreaterThanOrEqual(2);
      expect(emulator.gate.stats).toMatchObject({ requests: emulator.gate.stats.resets, serverErrors: 0, rateLimited: 0 });
      // The control routes are not Stripe's API: never reset, so the fault can always be lifted over HTTP.
      expect((await put({ resetRate: 0 })).status).toBe(200);
    } finally {
      emulator.gate.knobs.resetRate = 0;
    }
    const resets = emulator.gate.stats.resets;
    await expect(stripe.checkout.sessions.retrieve(s.id)).resolves.toMatchObject({ id: s.id });
    expect(emulator.gate.stats).toMatchObject({ resets, requests: resets + 1 });
  });
});
