import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';

/** List filters, list expansion and its depth limit, and products by ids, through the real SDK. */
describe('emulator: lists like Stripe', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  const ids: string[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ webhookSecrets: ['whsec_emulator_test_0123456789'] });
    stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(emulator.url()), maxNetworkRetries: 0 });
    // Five sessions created at 1000, 1010, … 1040 (seconds); the odd ones completed, the last with 25 items.
    for (let i = 0; i < 5; i++) {
      const s = emulator.store.createSession({ lineItems: items(i === 4 ? 25 : 2), ...(i === 1 ? { metadata: { k: 'v' } } : {}) });
      const stored = emulator.store.peek(s.id);
      if (stored === undefined) throw new Error('session not stored');
      stored.session.created = 1000 + 10 * i;
      if (i % 2 === 0) emulator.store.complete(s.id, { paymentStatus: 'paid' });
      ids.push(s.id);
    }
    const third = emulator.store.peek(ids[2] as string);
    if (third !== undefined) third.session.customer = 'cus_Filter';
  });
  afterAll(async () => emulator.app.close());

  const listed = async (params: Stripe.Checkout.SessionListParams) => (await stripe.checkout.sessions.list({ limit: 100, ...params })).data.map((s) => ids.indexOf(s.id));

  it('filters by created[gte|gt|lte|lt], status, payment_intent and customer, newest first', async () => {
    expect(await listed({ created: { gte: 1010, lte: 1030 } })).toEqual([3, 2, 1]);
    expect(await listed({ created: { gt: 1010, lt: 1040 } })).toEqual([3, 2]);
    expect(await listed({ created: 1020 })).toEqual([2]);
    expect(await listed({ created: { gte: 1000, lte: 1040 }, status: 'complete' })).toEqual([4, 2, 0]);
    const pi = emulator.store.peek(ids[4] as string)?.session.payment_intent;
    expect(typeof pi).toBe('string');
    expect(await listed({ payment_intent: pi as string })).toEqual([4]);
    expect(await listed({ customer: 'cus_Filter' })).toEqual([2]);
  });

  it('refuses malformed filters with the parameter named', async () => {
    const bad = (q: string) => fetch(`${emulator.url()}/v1/checkout/sessions?${q}`, { headers: { authorization: 'Bearer sk_test_emulator' } });
    for (const [q, param] of [
      ['created[gte]=soon', 'created[gte]'],
      ['created[after]=1', 'created[after]'],
      ['status=done', 'status'],
      ['limit=101', 'limit'],
    ] as const) {
      const res = await bad(q);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
    }
  });

  it('expand[]=data.line_items gives each listed session its first page of line items', async () => {
    const page = await stripe.checkout.sessions.list({ created: { gte: 1000, lte: 1040 }, status: 'complete', limit: 100, expand: ['data.line_items'] });
    const byId = new Map(page.data.map((s) => [s.id, s]));
    const big = byId.get(ids[4] as string)?.line_items;
    expect(big).toMatchObject({ object: 'list', has_more: true, url: `/v1/checkout/sessions/${ids[4]}/line_items` });
    expect(big?.data).toHaveLength(10);
    expect(byId.get(ids[0] as string)?.line_items).toMatchObject({ has_more: false, data: [{ object: 'item' }, { object: 'item' }] });
    // Without the expansion the field is absent, as on Stripe.
    expect((await stripe.checkout.sessions.list({ limit: 1 })).data[0]?.line_items).toBeUndefined();
  });

  it('refuses expansion deeper than 4 levels, as Stripe does', async () => {
    const err = await stripe.checkout.sessions.list({ expand: ['data.line_items.data.price.product'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: 'expand', message: expect.stringContaining('more than 4 levels') });
    // Four levels are fine.
    await expect(stripe.checkout.sessions.list({ limit: 1, expand: ['data.line_items.data.price'] })).resolves.toMatchObject({ object: 'list' });
    await expect(stripe.checkout.sessions.list({ expand: ['data.customer'] })).rejects.toMatchObject({ statusCode: 400, param: 'expand' });
  });

  it('GET /v1/products with ids[] returns exactly those products, with their metadata', async () => {
    const s = emulator.store.createSession({
      lineItems: [
        { name: 'Ebook', unitAmount: 900, metadata: { fulfillment: 'access' } },
        { name: 'Mug', unitAmount: 1500, metadata: { fulfillment: 'shipping' } },
        { name: 'Pin', unitAmount: 300 },
      ],
    });
    const productIds = (emulator.store.peek(s.id)?.lineItems ?? []).map((i) => i.price?.product as string);
    const wanted = [productIds[0] as string, productIds[1] as string];
    const products = await stripe.products.list({ ids: wanted, limit: 100 });
    expect(products.data.map((p) => p.id).sort()).toEqual([...wanted].sort());
    expect(products.data.map((p) => p.metadata.fulfillment).sort()).toEqual(['access', 'shipping']);
    await expect(stripe.products.retrieve(productIds[2] as string)).resolves.toMatchObject({ object: 'product', name: 'Pin' });
    await expect(stripe.products.retrieve('prod_nope')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it("hides a connected account's products from the platform", async () => {
    const s = emulator.store.createSession({ lineItems: [{ name: 'Secret', unitAmount: 100 }] }, 'acct_1Products');
    const id = emulator.store.peek(s.id)?.lineItems[0]?.price?.product as string;
    expect((await stripe.products.list({ ids: [id] })).data).toEqual([]);
    expect((await stripe.products.list({ ids: [id] }, { stripeAccount: 'acct_1Products' })).data.map((p) => p.id)).toEqual([id]);
  });
});
