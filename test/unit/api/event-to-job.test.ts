import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { eventToJob } from '../../../src/api/event-to-job.js';
import { AFTER_SALE_EVENT_TYPES } from '../../../src/domain/after-sale-events.js';
import { afterSaleJobId } from '../../../src/queue/contract.js';

const event = (type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ id: 'evt_1AfterSale', object: 'event', type, livemode: false, data: { object }, ...extra }) as unknown as Stripe.Event;

/** The ingress's decision for refund and dispute events: a run per PaymentIntent, keyed by event, from ids only. */
describe('eventToJob: after-sale events', () => {
  const objects: Record<string, Record<string, unknown>> = {
    refund: { id: 're_1', object: 'refund', payment_intent: 'pi_1', status: 'succeeded' },
    charge: { id: 'ch_1', object: 'charge', payment_intent: { id: 'pi_1', object: 'payment_intent' } },
    dispute: { id: 'du_1', object: 'dispute', payment_intent: 'pi_1', status: 'won' },
  };
  it.each(AFTER_SALE_EVENT_TYPES)('%s → an after-sale job for the PaymentIntent', (type) => {
    const object = type.startsWith('refund.') ? objects.refund : type === 'charge.refunded' ? objects.charge : objects.dispute;
    const decision = eventToJob(event(type, object as Record<string, unknown>), false);
    expect(decision).toEqual({ kind: 'after-sale', job: { paymentIntent: 'pi_1', trigger: type, eventId: 'evt_1AfterSale', objectId: (object as { id: string }).id } });
    if (decision.kind === 'after-sale') expect(afterSaleJobId(decision.job)).toBe('pi_1_evt_1AfterSale');
  });

  it('Connect: the account rides along; a malformed one is refused', () => {
    expect(eventToJob(event('refund.created', objects.refund as Record<string, unknown>, { account: 'acct_1Shop' }), false)).toMatchObject({ kind: 'after-sale', job: { account: 'acct_1Shop' } });
    expect(eventToJob(event('refund.created', objects.refund as Record<string, unknown>, { account: 'shop' }), false)).toMatchObject({ kind: 'reject' });
  });

  it('a payment without a PaymentIntent (not Checkout\'s) is acknowledged, the other mode ignored, no object refused', () => {
    expect(eventToJob(event('charge.refunded', { id: 'ch_1', payment_intent: null }), false)).toEqual({ kind: 'ignore', reason: 'no_payment_intent' });
    expect(eventToJob(event('refund.created', objects.refund as Record<string, unknown>), true)).toEqual({ kind: 'ignore', reason: 'other_mode' });
    expect(eventToJob(event('refund.created', null as unknown as Record<string, unknown>), false)).toMatchObject({ kind: 'reject' });
  });

  it('non-event runs get their own job id; no id may contain a colon', () => {
    expect(afterSaleJobId({ paymentIntent: 'pi_1', trigger: 'reconcile', runId: 'r1' })).toBe('pi_1_reconcile-r1');
    expect(() => afterSaleJobId({ paymentIntent: 'pi_1', trigger: 'manual', runId: 'a:b' })).toThrow(/may not contain/);
  });
});
