import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';

/** A complete session's PaymentIntent, the only place Stripe shows that a delayed debit failed, through the real SDK. */
describe('emulator: PaymentIntents of Checkout Sessions', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startEmulator({ webhookSecrets: ['whsec_emulator_test_0123456789'] });
    stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(emulator.url()), maxNetworkRetries: 0 });
  });
  afterAll(async () => emulator.app.close());

  const completed = (paymentStatus: 'paid' | 'unpaid' | 'no_payment_required', account?: string) => {
    const s = emulator.store.createSession({ lineItems: items(2) }, account);
    emulator.store.complete(s.id, { paymentStatus }, account);
    return emulator.store.peek(s.id)?.session as Stripe.Checkout.Session;
  };

  it('a card payment succeeded; a delayed debit is processing, then succeeded or back to requires_payment_method with the error', async () => {
    const card = completed('paid');
    const cardPi = await stripe.paymentIntents.retrieve(card.payment_intent as string);
    expect(cardPi).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: card.amount_total, amount_received: card.amount_total, currency: 'usd' });

    const failing = completed('unpaid');
    const succeeding = completed('unpaid');
    expect((await stripe.paymentIntents.retrieve(failing.payment_intent as string)).status).toBe('processing');
    emulator.store.asyncPayment(failing.id, 'failed');
    emulator.store.asyncPayment(succeeding.id, 'succeeded');
    const failed = await stripe.paymentIntents.retrieve(failing.payment_intent as string);
    expect(failed).toMatchObject({ status: 'requires_payment_method', amount_received: 0, payment_method: null });
    expect(failed.last_payment_error?.code).toBe('payment_intent_payment_attempt_failed');
    // The session itself still says complete and unpaid: the PaymentIntent is the only witness.
    expect(await stripe.checkout.sessions.retrieve(failing.id)).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    expect((await stripe.paymentIntents.retrieve(succeeding.payment_intent as string)).status).toBe('succeeded');
  });

  it('expand[]=data.payment_intent puts each listed session its PaymentIntent object; a free order has none', async () => {
    const debit = completed('unpaid');
    emulator.store.asyncPayment(debit.id, 'failed');
    const free = completed('no_payment_required');
    const page = await stripe.checkout.sessions.list({ status: 'complete', limit: 100, expand: ['data.line_items', 'data.payment_intent'] });
    const byId = new Map(page.data.map((s) => [s.id, s]));
    expect(byId.get(debit.id)?.payment_intent).toMatchObject({ id: debit.payment_intent, status: 'requires_payment_method' });
    expect(byId.get(debit.id)?.line_items?.data).toHaveLength(2);
    expect(byId.get(free.id)?.payment_intent).toBeNull();
    const retrieved = await stripe.checkout.sessions.retrieve(debit.id, { expand: ['payment_intent'] });
    expect(retrieved.payment_intent).toMatchObject({ object: 'payment_intent', status: 'requires_payment_method' });
  });

  it("answers 404 resource_missing for an unknown id and for another account's PaymentIntent", async () => {
    await expect(stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const connected = completed('paid', 'acct_Other');
    await expect(stripe.paymentIntents.retrieve(connected.payment_intent as string)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.paymentIntents.retrieve(connected.payment_intent as string, {}, { stripeAccount: 'acct_Other' })).status).toBe('succeeded');
  });
});
