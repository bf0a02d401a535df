/**
 * The contract between the transactional outbox (which stores and schedules effects) and the
 * deliverers (which carry one effect to the outside world: SMTP, an HTTP callback, ...).
 *
 * An effect is written as a row inside the session's fulfillment transaction, unique per
 * (session, scope, kind, target), so it exists exactly once or not at all. Delivery is at least once;
 * `idempotencyKey` is the same on every attempt of one effect (`Message-ID` for email, `webhook-id`
 * for callbacks), so a receiver can drop the rare duplicate.
 */

/** One line item as the outside world sees it (receipt, callback body). Amounts in the smallest currency unit. */
export interface OrderLineItem {
  readonly id: string;
  readonly description: string | null;
  readonly quantity: number | null;
  readonly amountTotal: number;
  readonly currency: string;
  readonly price: string | null;
  readonly product: string | null;
}

/** A line a fulfillment handler added for the customer ("Access code: …", "Ships to …"). */
export interface OrderNote {
  /** The line item it is about, or null for the whole order. */
  readonly lineItemId: string | null;
  readonly text: string;
}

/** The order as it was when fulfilled: what receipts and callbacks are made from. */
export interface OrderSnapshot {
  readonly sessionId: string;
  readonly livemode: boolean;
  readonly customerEmail: string | null;
  readonly customerName: string | null;
  readonly currency: string | null;
  readonly amountSubtotal: number | null;
  readonly amountTotal: number | null;
  /** ISO 8601. */
  readonly fulfilledAt: string;
  readonly lineItems: readonly OrderLineItem[];
  readonly notes: readonly OrderNote[];
  /** How many line items the order has, when `lineItems` holds only the first ones (bounded-order.ts). */
  readonly lineItemCount?: number;
  /** How many notes the order has, when `notes` holds only some of them. */
  readonly noteCount?: number;
}

/** Payload of the built-in kind `email`: one receipt per fulfilled session, or one notice per failed delayed payment. */
export interface EmailEffectPayload {
  readonly to: string;
  readonly order: OrderSnapshot;
  /**
   * Which email: the receipt (default, and every payload stored before this field existed), the failed
   * payment's notice, or the notice that access was taken back or given back (`change` says what).
   */
  readonly template?: 'receipt' | 'payment_failed' | 'access_changed';
  /** For `access_changed`: the change, in the customer's terms. */
  readonly change?: AccessChangeNotice;
}

/** What an access change email says: the order's refunds and dispute now, and each item's access. */
export interface AccessChangeNotice {
  /** ISO 8601: when the change was recorded. */
  readonly at: string;
  readonly access: string;
  readonly amountRefunded: number;
  readonly refundState: string;
  readonly disputeStatus: string | null;
  readonly items: readonly { readonly id: string; readonly access: string; readonly previous: string }[];
}

/** After the sale (issue 19): what the merchant's endpoint is told when an order's refunds or access change. */
export type AfterSaleNotice =
  | {
      readonly type: 'order.refunded';
      readonly timestamp: string;
      readonly data: { readonly session_id: string; readonly amount_refunded: number; readonly refund_state: string };
    }
  | {
      readonly type: 'order.access_changed';
      readonly timestamp: string;
      readonly data: { readonly session_id: string; readonly access: string; readonly line_items: readonly { readonly id: string; readonly access: string }[] };
    };

/**
 * Payload of the built-in kind `callback`: one signed POST per URL, for a fulfilled order (`order`) or for
 * an after-sale change (`notice`, sent as it is).
 */
export type CallbackEffectPayload = { readonly url: string; readonly order: OrderSnapshot } | { readonly url: string; readonly notice: AfterSaleNotice };

/**
 * An effect kind: its name, and (in the type only) its payload. Declared once with `defineEffectKind`, it is
 * what a handler passes to `ctx.effect` and what its deliverer is defined for (`defineDeliverer`), so the
 * payload written and the payload delivered are checked against one type.
 */
export interface EffectKind<P> {
  readonly name: string;
  /** Never set: carries P for the type checker (a kind of one payload is not a kind of another). */
  readonly payloadType?: P;
}

/** Lowercase letters, digits, `_` and `-`, at most 64: the kind is part of every effect row's unique key. */
export const EFFECT_KIND_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** `defineEffectKind<MyPayload>('my-kind')`: throws at once (at module load) for a name that cannot be stored. */
export function defineEffectKind<P>(name: string): EffectKind<P> {
  if (!EFFECT_KIND_NAME.test(name)) throw new Error(`effect kind ${JSON.stringify(name)} must match ${EFFECT_KIND_NAME}`);
  return Object.freeze({ name });
}

/** The built-in kind `email`: the receipt (effects/email-deliverer.ts). */
export const emailKind = defineEffectKind<EmailEffectPayload>('email');
/** The built-in kind `callback`: a signed POST per URL of CALLBACK_URLS (effects/callback-deliverer.ts). */
export const callbackKind = defineEffectKind<CallbackEffectPayload>('callback');

/** A committed effect handed to a deliverer. */
export interface EffectRecord<P = unknown> {
  /** The outbox row's id. */
  readonly id: string;
  readonly kind: string;
  readonly sessionId: string;
  /** Who receives it: an email address, a URL, ... (part of the effect's unique key). */
  readonly target: string;
  readonly payload: P;
  /** Stable across every attempt of this effect; derived from its unique key. */
  readonly idempotencyKey: string;
  /** Attempts already made before this one. */
  readonly attempts: number;
  readonly createdAt: Date;
}

/** What one delivery attempt came to. Every failure carries a stable `code`, never only prose. */
export type DeliveryResult =
  | { readonly outcome: 'delivered'; readonly detail?: string }
  /** Transient (timeout, connection refused, 4xx SMTP reply, non-2xx HTTP): try again later. */
  | { readonly outcome: 'retry'; readonly code: string; readonly reason: string; readonly retryAfterMs?: number }
  /** Will not succeed by retrying (5xx SMTP reply for the recipient): dead at once, visible to operators. */
  | { readonly outcome: 'permanent'; readonly code: string; readonly reason: string }
  /** The receiver asked never to be called again (HTTP 410): the target is disabled. */
  | { readonly outcome: 'disabled'; readonly code: string; readonly reason: string };

/** Carries effects of one kind to the outside world. Must not throw for delivery failures: return them. */
export interface EffectDeliverer<P = unknown> {
  readonly kind: string;
  deliver(effect: EffectRecord<P>, signal: AbortSignal): Promise<DeliveryResult>;
  close?(): Promise<void>;
}

/** A deliverer for `kind`, its payload typed as the kind declares it: `defineDeliverer(myKind, { async deliver(effect, signal) { … } })`. */
export function defineDeliverer<P>(kind: EffectKind<P>, deliverer: Omit<EffectDeliverer<P>, 'kind'>): EffectDeliverer<P> {
  const close = deliverer.close;
  return {
    kind: kind.name,
    deliver: (effect, signal) => deliverer.deliver(effect, signal),
    ...(close === undefined ? {} : { close: () => close.call(deliverer) }),
  };
}
