import type Stripe from 'stripe';
import { isSessionId } from '../domain/session-id.js';
import { isHandledEventType } from '../domain/trigger.js';
import { isAfterSaleEventType, paymentIntentOf } from '../domain/after-sale-events.js';
import type { AfterSaleJobData, FulfillJobData } from '../queue/contract.js';

export type EventDecision =
  | { readonly kind: 'enqueue'; readonly job: FulfillJobData }
  | { readonly kind: 'after-sale'; readonly job: AfterSaleJobData }
  | { readonly kind: 'ignore'; readonly reason: 'unhandled_type' | 'other_mode' | 'no_payment_intent' }
  | { readonly kind: 'reject'; readonly message: string };

const ACCOUNT_ID = /^acct_[A-Za-z0-9]{1,250}$/;

/**
 * What to do with a verified event. Unhandled types and events of the other mode are acknowledged
 * (2xx) so that Stripe stops retrying them; a handled event with no usable session id is rejected.
 */
export function eventToJob(event: Stripe.Event, livemode: boolean): EventDecision {
  const afterSale = isAfterSaleEventType(event.type);
  if (!isHandledEventType(event.type) && !afterSale) return { kind: 'ignore', reason: 'unhandled_type' };
  if (event.livemode !== livemode) return { kind: 'ignore', reason: 'other_mode' };
  if (typeof event.id !== 'string' || !/^evt_[A-Za-z0-9_]{1,250}$/.test(event.id)) {
    return { kind: 'reject', message: 'event has no valid id' };
  }
  const object: unknown = (event.data as { object?: unknown } | undefined)?.object;
  if (afterSale) return afterSaleJob(event, object);
  const sessionId = typeof object === 'object' && object !== null ? (object as { id?: unknown }).id : undefined;
  if (!isSessionId(sessionId)) {
    return { kind: 'reject', message: 'event has no valid data.object.id (expected a Checkout Session id cs_…)' };
  }
  const account: unknown = event.account;
  if (account !== undefined && account !== null && (typeof account !== 'string' || !ACCOUNT_ID.test(account))) {
    return { kind: 'reject', message: 'event.account is not a connected account id (acct_…)' };
  }
  const created: unknown = (object as { created?: unknown }).created;
  const trigger = event.type as FulfillJobData['trigger'];
  return {
    kind: 'enqueue',
    job: {
      sessionId,
      trigger,
      eventId: event.id,
      // Only a hint for batching (a wrong one costs a fallback retrieve), so an odd value is dropped, not refused.
      ...(Number.isSafeInteger(created) && (created as number) > 0 ? { created: created as number } : {}),
      ...(typeof account === 'string' ? { account } : {}),
    },
  };
}

const OBJECT_ID = /^(re|ch|du|pyr)_[A-Za-z0-9_]{1,250}$/;

/**
 * A refund or dispute event: a run for its PaymentIntent. Only ids are taken from the payload (the run reads
 * the objects from Stripe); a payment without a PaymentIntent is not a Checkout payment and is acknowledged.
 */
function afterSaleJob(event: Stripe.Event, object: unknown): EventDecision {
  const account: unknown = event.account;
  if (account !== undefined && account !== null && (typeof account !== 'string' || !ACCOUNT_ID.test(account))) {
    return { kind: 'reject', message: 'event.account is not a connected account id (acct_…)' };
  }
  if (typeof object !== 'object' || object === null) return { kind: 'reject', message: 'event has no data.object' };
  const paymentIntent = paymentIntentOf(object);
  if (paymentIntent === undefined) return { kind: 'ignore', reason: 'no_payment_intent' };
  const objectId: unknown = (object as { id?: unknown }).id;
  return {
    kind: 'after-sale',
    job: {
      paymentIntent,
      trigger: event.type as AfterSaleJobData['trigger'],
      eventId: event.id,
      ...(typeof objectId === 'string' && OBJECT_ID.test(objectId) ? { objectId } : {}),
      ...(typeof account === 'string' ? { account } : {}),
    },
  };
}
