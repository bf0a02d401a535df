/**
 * The Stripe events that lead to an after-sale run: every refund and dispute event of issue 19. The run reads
 * Stripe's current objects, so an event only says "look at this PaymentIntent again"; which event it was
 * matters for the ledger's "why", never for the state (one project marked lost disputes won because it trusted
 * `funds_reinstated`). https://docs.stripe.com/api/events/types
 */
export const AFTER_SALE_EVENT_TYPES = [
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
] as const;

export type AfterSaleEventType = (typeof AFTER_SALE_EVENT_TYPES)[number];

export function isAfterSaleEventType(type: string): type is AfterSaleEventType {
  return (AFTER_SALE_EVENT_TYPES as readonly string[]).includes(type);
}

/** What asks for an after-sale run: an event, or a path that reads Stripe itself (reconciliation, CLI). */
export type AfterSaleTrigger = AfterSaleEventType | 'reconcile' | 'manual';

/**
 * The PaymentIntent an after-sale event's object belongs to: a Refund, a Charge and a Dispute all carry
 * `payment_intent` (a string, or the expanded object). Undefined for a payment that has none (not Checkout's).
 */
export function paymentIntentOf(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const pi: unknown = (object as { payment_intent?: unknown }).payment_intent;
  const id: unknown = typeof pi === 'object' && pi !== null ? (pi as { id?: unknown }).id : pi;
  return typeof id === 'string' && /^pi_[A-Za-z0-9_]{1,250}$/.test(id) ? id : undefined;
}
