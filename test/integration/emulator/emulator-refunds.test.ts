import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';
import { startStripeEventReceiver, type StripeEventReceiver } from '../../helpers/stripe-event-receiver.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'whsec_emulator_refunds_0123456789';

/** Refunds and the Charge behind them, through the real SDK over HTTP, with their events signed and sent. */
describe('emulator: refunds', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  let receiver: StripeEventReceiver;
  beforeAll(async () => {
    receiver = await startStripeEventReceiver(SECRET);
    emulator = await startEmulator({ webhookSecrets: [SECRET], webhookEndpoints: [receiver.url] });
    stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(emulator.url()), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await emulator.app.close();
    await receiver.close();
  });

  /** A completed session (items of 10.00, 10.01, … each, quantities 1-3) and its PaymentIntent. */
  const paid = (paymentStatus: 'paid' | 'unpaid' = 'paid', account?: string) => {
    const s = emulator.store.createSession({ lineItems: items(3) }, account);
    emulator.store.complete(s.id, { paymentStatus }, account);
    const session = emulator.store.peek(s.id)?.session as Stripe.Checkout.Session;
    return { session, pi: session.payment_intent as string, total: session.amount_total as number };
  };
  const eventsOf = (objectId: string) => receiver.events.filter((e) => (e.data.object as { id: string }).id === objectId);

  it('a paid PaymentIntent has a ch_ charge; refunds add up on it until it is refunded, then Stripe refuses more', async () => {
    const { pi, total } = paid();
    const intent = await stripe.paymentIntents.retrieve(pi);
    expect(intent.latest_charge).toMatch(/^ch_/);
    const chargeId = intent.latest_charge as string;
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ object: 'charge', amount: total, amount_refunded: 0, refunded: false, disputed: false, payment_intent: pi, status: 'succeeded' });

    const first = await stripe.refunds.create({ payment_intent: pi, amount: 500, reason: 'requested_by_customer', metadata: { line_items: 'li_a,li_b' } });
    expect(first).toMatchObject({ object: 'refund', amount: 500, charge: chargeId, payment_intent: pi, status: 'succeeded', reason: 'requested_by_customer', metadata: { line_items: 'li_a,li_b' }, currency: 'usd' });
    expect(first.id).toMatch(/^re_/);
    expect(await stripe.refunds.retrieve(first.id)).toEqual(first);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 500, refunded: false });

    await expect(stripe.refunds.create({ charge: chargeId, amount: total })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'amount_too_large', param: 'amount', statusCode: 400 });
    const rest = await stripe.refunds.create({ charge: chargeId });
    expect(rest.amount).toBe(total - 500);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: total, refunded: true });
    await expect(stripe.refunds.create({ payment_intent: pi, amount: 1 })).rejects.toMatchObject({ code: 'charge_already_refunded', statusCode: 400 });
  });

  it('refuses unknown ids (404 resource_missing naming the parameter), unpaid and failed payments, and bad amounts', async () => {
    await expect(stripe.refunds.create({ payment_intent: 'pi_missing' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'payment_intent' });
    await expect(stripe.refunds.create({ charge: 'ch_missing' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'charge' });
    await expect(stripe.refunds.retrieve('re_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.charges.retrieve('ch_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const processing = paid('unpaid');
    await expect(stripe.refunds.create({ payment_intent: processing.pi })).rejects.toThrow(/does not have a successful charge to refund/);
    emulator.store.asyncPayment(processing.session.id, 'failed');
    await expect(stripe.refunds.create({ payment_intent: processing.pi })).rejects.toMatchObject({ statusCode: 400, param: 'payment_intent' });
    const { pi } = paid();
    await expect(stripe.refunds.create({ payment_intent: pi, amount: 0 })).rejects.toMatchObject({ statusCode: 400, param: 'amount' });
    await expect(stripe.refunds.create({})).rejects.toMatchObject({ statusCode: 400 });
  });

  it('the same Idempotency-Key gives the same refund once; the same key with other parameters is refused', async () => {
    const { pi } = paid();
    const a = await stripe.refunds.create({ payment_intent: pi, amount: 300 }, { idempotencyKey: 'refund-once-1' });
    const b = await stripe.refunds.create({ payment_intent: pi, amount: 300 }, { idempotencyKey: 'refund-once-1' });
    expect(b.id).toBe(a.id);
    expect((await stripe.refunds.list({ payment_intent: pi })).data.map((r) => r.id)).toEqual([a.id]);
    await expect(stripe.refunds.create({ payment_intent: pi, amount: 400 }, { idempotencyKey: 'refund-once-1' })).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
    const other = await stripe.refunds.create({ payment_intent: pi, amount: 300 }, { idempotencyKey: 'refund-once-2' });
    expect(other.id).not.toBe(a.id);
  });

  it('lists refunds newest first by payment_intent, charge and created, and pages with starting_after', async () => {
    const one = paid();
    const two = paid();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await stripe.refunds.create({ payment_intent: one.pi, amount: 100 })).id);
    const theirs = await stripe.refunds.create({ payment_intent: two.pi, amount: 100 });
    const byPi = await stripe.refunds.list({ payment_intent: one.pi, limit: 100 });
    expect(byPi.data.map((r) => r.id)).toEqual([...made].reverse());
    const chargeId = (await stripe.paymentIntents.retrieve(two.pi)).latest_charge as string;
    expect((await stripe.refunds.list({ charge: chargeId })).data.map((r) => r.id)).toEqual([theirs.id]);

    const firstPage = await stripe.refunds.list({ payment_intent: one.pi, limit: 2 });
    expect(firstPage).toMatchObject({ object: 'list', has_more: true, url: '/v1/refunds' });
    const secondPage = await stripe.refunds.list({ payment_intent: one.pi, limit: 2, starting_after: firstPage.data[1]?.id as string });
    expect(secondPage.data.map((r) => r.id)).toEqual([made[2], made[1]]);
    const walked: string[] = [];
    for await (const r of stripe.refunds.list({ payment_intent: one.pi, limit: 2 })) walked.push(r.id);
    expect(walked).toEqual([...made].reverse());

    const now = Math.floor(Date.now() / 1000);
    expect((await stripe.refunds.list({ payment_intent: one.pi, created: { gte: now - 60 } })).data).toHaveLength(5);
    expect((await stripe.refunds.list({ payment_intent: one.pi, created: { gt: now + 60 } })).data).toHaveLength(0);
    expect((await stripe.refunds.list({ created: { lt: now - 3600 } })).data).toHaveLength(0);
    await expect(stripe.refunds.list({ created: { since: 1 } as unknown as Stripe.RangeQueryParam })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('sends refund.created then charge.refunded, signed, with the Refund and the Charge as it stands', async () => {
    const { pi, total } = paid();
    const refund = await stripe.refunds.create({ payment_intent: pi, amount: 700 });
    const created = await waitFor(() => eventsOf(refund.id)[0], 'refund.created');
    const chargeEvent = await waitFor(() => receiver.events.find((e) => e.type === 'charge.refunded' && (e.data.object as Stripe.Charge).id === refund.charge), 'charge.refunded');
    expect(created).toMatchObject({ type: 'refund.created', object: 'event', livemode: false, data: { object: { id: refund.id, status: 'succeeded', amount: 700 } } });
    expect(chargeEvent.data.object).toMatchObject({ object: 'charge', amount: total, amount_refunded: 700, refunded: false, payment_intent: pi });
    expect(receiver.events.indexOf(created)).toBeLessThan(receiver.events.indexOf(chargeEvent));
    expect(receiver.rejected).toBe(0);
  });

  it('a pending refund (knob) counts toward amount_refunded; a succeeded one fails later with refund.updated and refund.failed', async () => {
    const { pi } = paid();
    await fetch(`${emulator.url()}/_emulator/knobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refundStatus: 'pending' }) });
    const pending = await stripe.refunds.create({ payment_intent: pi, amount: 200 });
    await fetch(`${emulator.url()}/_emulator/knobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refundStatus: 'succeeded' }) });
    expect(pending.status).toBe('pending');
    const later = await stripe.refunds.create({ payment_intent: pi, amount: 300 });
    expect((await stripe.charges.retrieve(later.charge as string)).amount_refunded).toBe(500);

    const move = async (id: string, status: string) => {
      const res = await fetch(`${emulator.url()}/_emulator/refunds/${id}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status }) });
      return { code: res.status, body: (await res.json()) as { object: Stripe.Refund; events: Stripe.Event[] } };
    };
    expect((await move(later.id, 'failed')).body.events.map((e) => e.type)).toEqual(['refund.updated', 'refund.failed']);
    expect(await stripe.refunds.retrieve(later.id)).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect((await stripe.charges.retrieve(later.charge as string)).amount_refunded).toBe(200);
    expect((await move(later.id, 'succeeded')).code).toBe(400);
    expect((await move(pending.id, 'canceled')).body.object.status).toBe('canceled');
    expect((await stripe.charges.retrieve(later.charge as string)).amount_refunded).toBe(0);

    const updated = await waitFor(() => receiver.events.find((e) => e.type === 'refund.updated' && (e.data.object as Stripe.Refund).id === later.id), 'refund.updated');
    expect(updated.data.previous_attributes).toEqual({ status: 'succeeded' });
    const failed = await waitFor(() => receiver.events.find((e) => e.type === 'refund.failed'), 'refund.failed');
    expect(failed.data.object).toMatchObject({ id: later.id, status: 'failed', failure_reason: 'expired_or_canceled_card' });
  });

  it("Connect: a connected account's refunds need its Stripe-Account header, and their events carry account", async () => {
    const { pi } = paid('paid', 'acct_Refunds');
    await expect(stripe.refunds.create({ payment_intent: pi })).rejects.toMatchObject({ statusCode: 404 });
    const refund = await stripe.refunds.create({ payment_intent: pi, amount: 100 }, { stripeAccount: 'acct_Refunds' });
    await expect(stripe.refunds.retrieve(refund.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(stripe.charges.retrieve(refund.charge as string)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.refunds.retrieve(refund.id, {}, { stripeAccount: 'acct_Refunds' })).amount).toBe(100);
    expect((await stripe.refunds.list({ payment_intent: pi })).data).toHaveLength(0);
    expect((await stripe.refunds.list({ payment_intent: pi }, { stripeAccount: 'acct_Refunds' })).data).toHaveLength(1);
    const events = await waitFor(() => (eventsOf(refund.id).length > 0 ? eventsOf(refund.id) : undefined), 'the connected refund event');
    expect(events[0]?.account).toBe('acct_Refunds');
  });
});
