import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { items } from '../../helpers/sessions.js';
import { OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, startStack, type Stack } from '../../helpers/stack.js';

/** Every bad input gets a clear 4xx, nothing is enqueued, and the api keeps serving. No worker runs here. */
describe('POST /webhook input handling', () => {
  let stack: Stack;
  let event: Stripe.Event;
  let body: string;

  beforeAll(async () => {
    stack = await startStack({ workers: 0, acceptedSecrets: [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET] });
  });
  afterAll(async () => stack.close());
  beforeEach(async () => {
    await stack.queue.obliterate({ force: true });
    const session = stack.emulator.store.createSession({ lineItems: items(1) });
    event = stack.emulator.store.complete(session.id, { paymentStatus: 'paid' });
    body = JSON.stringify(event);
  });

  async function post(payload: string | Buffer, headers: Record<string, string>) {
    const res = await fetch(`${stack.apiUrl}/webhook`, { method: 'POST', body: payload, headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const json = { 'content-type': 'application/json' };
  const signed = (payload: string, secrets = [WEBHOOK_SECRET], timestamp?: number) => ({
    ...json,
    'stripe-signature': signPayload(payload, secrets, timestamp),
  });
  async function jobCount(): Promise<number> {
    const counts = await stack.queue.getJobCounts();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
    ['missing Stripe-Signature', () => post(body, json), 400, 'missing_signature'],
    ['a signature that is not a signature', () => post(body, { ...json, 'stripe-signature': 'garbage' }), 400, 'malformed_signature'],
    ['a signature header with no v1', () => post(body, { ...json, 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v0=${'0'.repeat(64)}` }), 400, 'malformed_signature'],
    ['a signature header of 3 KB', () => post(body, { ...json, 'stripe-signature': `t=1,v1=${'0'.repeat(3000)}` }), 400, 'malformed_signature'],
    ['a wrong v1 signature', () => post(body, { ...json, 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }), 400, 'invalid_signature'],
    ['a signature by an unknown secret', () => post(body, signed(body, ['whsec_someone_else_0123456789'])), 400, 'invalid_signature'],
    ['a timestamp older than 300 s', () => post(body, signed(body, [WEBHOOK_SECRET], Math.floor(Date.now() / 1000) - 301)), 400, 'expired_signature'],
    ['a body altered after signing', () => post(body.replace('"paid"', '"unpaid"'), signed(body)), 400, 'invalid_signature'],
    ['malformed JSON (correctly signed)', () => post('{"id": "evt_1", ', signed('{"id": "evt_1", ')), 400, 'malformed_json'],
    ...(['null', '[]', '[{"id":"evt_1"}]', '42', '"checkout.session.completed"', 'true'] as const).map(
      (payload): (typeof cases)[number] => [`a correctly signed ${payload}`, () => post(payload, signed(payload)), 400, 'not_an_event'],
    ),
    ['a non-JSON content type', () => post(body, { ...signed(body), 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
    ['a body over 1 MiB', () => {
      const big = JSON.stringify({ ...event, padding: 'x'.repeat(1024 * 1024) });
      return post(big, signed(big));
    }, 413, 'payload_too_large'],
    ['an event with no data.object.id', () => {
      const noId = JSON.stringify({ ...event, data: { object: { object: 'checkout.session' } } });
      return post(noId, signed(noId));
    }, 400, 'invalid_event'],
    ['an event whose data.object.id is not a session id', () => {
      const wrong = JSON.stringify({ ...event, data: { object: { id: 'pi_123' } } });
      return post(wrong, signed(wrong));
    }, 400, 'invalid_event'],
  ];

  it.each(cases)('rejects %s, enqueues nothing, keeps serving', async (_name, send, code, error) => {
    const res = await send();
    expect(res.status).toBe(code);
    expect(res.body.error).toBe(error);
    expect(typeof res.body.message).toBe('string');
    expect(await jobCount()).toBe(0);
    // Still serving: the genuine event is accepted right after.
    expect((await post(body, signed(body))).status).toBe(200);
    expect(await jobCount()).toBe(1);
  });

  it.each([
    ['the current secret', [WEBHOOK_SECRET]],
    ['the previous secret', [OLD_WEBHOOK_SECRET]],
    ['both, as Stripe signs during a roll', [OLD_WEBHOOK_SECRET, WEBHOOK_SECRET]],
  ])('accepts a signature by %s', async (_name, secrets) => {
    const res = await post(body, signed(body, secrets));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: true });
    expect(await jobCount()).toBe(1);
  });

  it('answers 200 to an unhandled event type and enqueues nothing', async () => {
    const other = JSON.stringify({ ...event, type: 'payment_intent.succeeded', data: { object: { id: 'pi_123' } } });
    const res = await post(other, signed(other));
    expect(res).toEqual({ status: 200, body: { received: true, ignored: 'unhandled_type' } });
    expect(await jobCount()).toBe(0);
  });

  it('answers 200 to an event of the other mode (live event, test key) and enqueues nothing', async () => {
    const live = JSON.stringify({ ...event, livemode: true });
    const res = await post(live, signed(live));
    expect(res).toEqual({ status: 200, body: { received: true, ignored: 'other_mode' } });
    expect(await jobCount()).toBe(0);
  });

  it('collapses redeliveries of one event into one job, and gives a new event its own job', async () => {
    for (let i = 0; i < 5; i++) expect((await post(body, signed(body))).status).toBe(200);
    expect(await jobCount()).toBe(1);
    const next = JSON.stringify({ ...event, id: 'evt_another1', type: 'checkout.session.async_payment_succeeded' });
    expect((await post(next, signed(next))).status).toBe(200);
    expect(await jobCount()).toBe(2);
    const jobs = await stack.queue.getJobs(['waiting', 'prioritized']);
    expect(jobs.map((j) => j.id).every((id) => id?.startsWith((event.data.object as { id: string }).id) && !id.includes(':'))).toBe(true);
  });
});
