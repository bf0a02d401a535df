import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/start.js';
import { createStripeClient } from '../../../src/stripe/client.js';
import { items } from '../../helpers/sessions.js';
import { startStripeEventReceiver, type StripeEventReceiver } from '../../helpers/stripe-event-receiver.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'whsec_emulator_disputes_0123456789';

/** Disputes opened and moved through the control routes (as a card network would), read through the real SDK. */
describe('emulator: disputes', () => {
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

  const paid = (account?: string) => {
    const s = emulator.store.createSession({ lineItems: items(2) }, account);
    emulator.store.complete(s.id, { paymentStatus: 'paid' }, account);
    const session = emulator.store.peek(s.id)?.session as Stripe.Checkout.Session;
    return { session, pi: session.payment_intent as string };
  };
  const control = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${emulator.url()}/_emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { code: res.status, body: (await res.json()) as { object: Stripe.Dispute; events: Stripe.Event[]; error?: string } };
  };
  const typesFor = (disputeId: string) => receiver.events.filter((e) => (e.data.object as { id: string }).id === disputeId).map((e) => e.type);

  it('a chargeback: created and funds_withdrawn; under_review; closed won with funds_reinstated; the charge is disputed and cannot be refunded', async () => {
    const { pi } = paid();
    const opened = await control('disputes', { payment_intent: pi });
    expect(opened.code).toBe(200);
    const id = opened.body.object.id;
    expect(id).toMatch(/^du_/);
    expect(opened.body.events.map((e) => e.type)).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
    const dispute = await stripe.disputes.retrieve(id);
    expect(dispute).toMatchObject({ object: 'dispute', status: 'needs_response', payment_intent: pi, is_charge_refundable: false, reason: 'fraudulent', currency: 'usd' });
    expect(dispute.balance_transactions).toHaveLength(1);
    expect(dispute.balance_transactions[0]?.amount).toBe(-dispute.amount);
    expect(await stripe.charges.retrieve(dispute.charge as string)).toMatchObject({ disputed: true });
    await expect(stripe.refunds.create({ payment_intent: pi })).rejects.toMatchObject({ code: 'charge_disputed', statusCode: 400 });
    expect((await control('disputes', { payment_intent: pi })).code).toBe(400);

    expect((await control(`disputes/${id}/status`, { status: 'under_review' })).body.events.map((e) => e.type)).toEqual(['charge.dispute.updated']);
    const won = await control(`disputes/${id}/status`, { status: 'won' });
    expect(won.body.events.map((e) => e.type)).toEqual(['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    expect(await stripe.disputes.retrieve(id)).toMatchObject({ status: 'won', evidence_details: { has_evidence: true, submission_count: 1 } });
    expect((await control(`disputes/${id}/status`, { status: 'lost' })).code).toBe(400);

    const delivered = await waitFor(() => (typesFor(id).length === 5 ? typesFor(id) : undefined), 'five dispute events');
    expect(delivered).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    const updated = receiver.events.find((e) => e.type === 'charge.dispute.updated' && (e.data.object as Stripe.Dispute).id === id);
    expect(updated?.data.previous_attributes).toEqual({ status: 'needs_response' });
    expect(receiver.rejected).toBe(0);
  });

  it('an inquiry (warning_needs_response) withdraws nothing; a lost chargeback reinstates nothing', async () => {
    const inquiry = await control('disputes', { payment_intent: paid().pi, status: 'warning_needs_response' });
    expect(inquiry.body.events.map((e) => e.type)).toEqual(['charge.dispute.created']);
    expect(inquiry.body.object).toMatchObject({ is_charge_refundable: true, balance_transactions: [] });
    expect((await control(`disputes/${inquiry.body.object.id}/status`, { status: 'won' })).code).toBe(400);
    expect((await control(`disputes/${inquiry.body.object.id}/status`, { status: 'warning_closed' })).body.events.map((e) => e.type)).toEqual(['charge.dispute.closed']);

    const chargeback = await control('disputes', { payment_intent: paid().pi });
    const lost = await control(`disputes/${chargeback.body.object.id}/status`, { status: 'lost' });
    expect(lost.body.events.map((e) => e.type)).toEqual(['charge.dispute.closed']);
    expect(lost.body.object.status).toBe('lost');
  });

  it('lists disputes by payment_intent, charge and created, newest first, with pages', async () => {
    const made: Stripe.Dispute[] = [];
    for (let i = 0; i < 3; i++) made.push((await control('disputes', { payment_intent: paid().pi })).body.object);
    const [a, b, c] = made as [Stripe.Dispute, Stripe.Dispute, Stripe.Dispute];
    expect((await stripe.disputes.list({ payment_intent: a.payment_intent as string })).data.map((d) => d.id)).toEqual([a.id]);
    expect((await stripe.disputes.list({ charge: b.charge as string })).data.map((d) => d.id)).toEqual([b.id]);
    const now = Math.floor(Date.now() / 1000);
    const recent = await stripe.disputes.list({ created: { gte: now - 60 }, limit: 100 });
    expect(recent.data.slice(0, 3).map((d) => d.id)).toEqual([c.id, b.id, a.id]);
    expect((await stripe.disputes.list({ created: { gt: now + 60 } })).data).toHaveLength(0);
    const page = await stripe.disputes.list({ limit: 1, starting_after: c.id });
    expect(page.data.map((d) => d.id)).toEqual([b.id]);
    await expect(stripe.disputes.retrieve('du_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it("Connect: a connected account's dispute needs its Stripe-Account header; its events carry account", async () => {
    const { pi } = paid('acct_Disputes');
    const opened = await control('disputes', { payment_intent: pi });
    const id = opened.body.object.id;
    await expect(stripe.disputes.retrieve(id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.disputes.retrieve(id, {}, { stripeAccount: 'acct_Disputes' })).status).toBe('needs_response');
    expect((await stripe.disputes.list({ payment_intent: pi })).data).toHaveLength(0);
    expect((await stripe.disputes.list({ payment_intent: pi }, { stripeAccount: 'acct_Disputes' })).data).toHaveLength(1);
    expect(opened.body.events.every((e) => e.account === 'acct_Disputes')).toBe(true);
    const delivered = await waitFor(() => receiver.events.find((e) => (e.data.object as { id: string }).id === id), 'the connected dispute event');
    expect(delivered.account).toBe('acct_Disputes');
  });
});

/** The control page: its forms post to the control routes and come back; what it shows is escaped. */
describe('emulator: control page', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startEmulator({ webhookSecrets: [SECRET] });
    stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(emulator.url()), maxNetworkRetries: 0 });
  });
  afterAll(async () => emulator.app.close());

  const post = (path: string, form: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
    return fetch(`${emulator.url()}${path}`, { method: 'POST', body, redirect: 'manual' });
  };

  it('refunds chosen line items (metadata line_items), fails the refund, opens and closes a dispute, all from forms', async () => {
    const s = emulator.store.createSession({ lineItems: [{ name: '<img src=x onerror=alert(1)>', unitAmount: 1800, quantity: 2 }, ...items(2)] });
    emulator.store.complete(s.id, { paymentStatus: 'paid' });
    const stored = emulator.store.peek(s.id);
    const [first, second] = stored?.lineItems ?? [];
    const pageHtml = await (await fetch(`${emulator.url()}/_emulator`)).text();
    expect(pageHtml).toContain('Refund chosen items');
    expect(pageHtml).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(pageHtml).not.toContain('<img src=x');

    const res = await post('/_emulator/refunds', { session: s.id, line_items: [first?.id as string, second?.id as string], return_to: '/_emulator' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/_emulator\?notice=re_/);
    const pi = stored?.session.payment_intent as string;
    const [refund] = (await stripe.refunds.list({ payment_intent: pi })).data;
    expect(refund).toMatchObject({ amount: (first?.amount_total ?? 0) + (second?.amount_total ?? 0), metadata: { line_items: `${first?.id},${second?.id}` } });

    expect((await post(`/_emulator/refunds/${refund?.id}/status`, { status: 'failed', return_to: '/_emulator' })).status).toBe(303);
    expect((await stripe.refunds.retrieve(refund?.id as string)).status).toBe('failed');
    const tooMuch = await post('/_emulator/refunds', { session: s.id, amount: '999999', return_to: '/_emulator' });
    expect(decodeURIComponent(tooMuch.headers.get('location') ?? '')).toContain('is greater than unrefunded amount');

    expect((await post('/_emulator/disputes', { session: s.id, status: 'needs_response', return_to: '/_emulator' })).status).toBe(303);
    const [dispute] = (await stripe.disputes.list({ payment_intent: pi })).data;
    await post(`/_emulator/disputes/${dispute?.id}/status`, { status: 'lost', return_to: '/_emulator' });
    expect((await stripe.disputes.retrieve(dispute?.id as string)).status).toBe('lost');
    const after = await (await fetch(`${emulator.url()}/_emulator?session=${s.id}`)).text();
    expect(after).toContain('failed');
    expect(after).toContain('<strong>lost</strong>');
    expect((await post('/_emulator/refunds', { session: s.id, return_to: 'https://evil.example/' })).status).toBe(400);
  });
});
