import type Stripe from 'stripe';
import { randomId } from './ids.js';

/** The API version the emulator's events say they were rendered with. */
export const EVENT_API_VERSION = '2026-08-27.basil';

export interface EventOrigin {
  readonly livemode: boolean;
  /** The connected account the object belongs to (Stripe Connect); absent for the platform's own. */
  readonly account: string | undefined;
  /** For `*.updated` events: the changed fields' values before the change (Stripe's `data.previous_attributes`). */
  readonly previous?: Record<string, unknown>;
}

/**
 * A Stripe Event around a snapshot of `object` (https://docs.stripe.com/api/events/object): later changes to
 * the object do not change an event already built, as on Stripe.
 */
export function buildEvent(type: Stripe.Event.Type, object: object, origin: EventOrigin): Stripe.Event {
  return {
    id: randomId('evt_', 24),
    object: 'event',
    api_version: EVENT_API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: origin.livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: structuredClone(object), ...(origin.previous === undefined ? {} : { previous_attributes: origin.previous }) },
    ...(origin.account === undefined ? {} : { account: origin.account }),
  } as unknown as Stripe.Event;
}
