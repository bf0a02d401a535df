/**
 * What asks for a fulfillment run. A domain concept: the queue carries it (queue/contract.ts) and
 * Postgres records it (`last_trigger`), but neither defines it.
 */

/** The Checkout Session event types that lead to a fulfillment run. Every other type is acknowledged and dropped. */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

export function isHandledEventType(type: string): type is HandledEventType {
  return (HANDLED_EVENT_TYPES as readonly string[]).includes(type);
}

/** A webhook event, or a path that reads Stripe itself (landing page, reconciliation, CLI). */
export type Trigger = HandledEventType | 'landing' | 'reconcile' | 'manual';
