import type Stripe from 'stripe';
import sessionFixture from './fixtures/checkout.session.json' with { type: 'json' };
import lineItemFixture from './fixtures/checkout.session.line_item.json' with { type: 'json' };
import paymentIntentFixture from './fixtures/payment_intent.json' with { type: 'json' };
import { randomId, sessionId } from './ids.js';

/** What a caller says about one line item; the rest is filled in from Stripe's fixture shape. */
export interface LineItemSpec {
  readonly name: string;
  /** The line item's description; Stripe's default (and ours) is the product name. */
  readonly description?: string;
  readonly unitAmount: number;
  readonly quantity?: number;
  readonly currency?: string;
  readonly productId?: string;
  readonly priceId?: string;
  /** The product's metadata, e.g. `{ fulfillment: 'access' }`. */
  readonly metadata?: Record<string, string>;
}

export interface SessionSpec {
  readonly lineItems: readonly LineItemSpec[];
  readonly livemode?: boolean;
  readonly currency?: string;
  readonly customerEmail?: string | null;
  readonly successUrl?: string | null;
  readonly cancelUrl?: string | null;
  readonly metadata?: Record<string, string>;
  readonly mode?: 'payment' | 'subscription' | 'setup';
  readonly paymentMethodTypes?: readonly string[];
  /** Countries to collect a shipping address for (`shipping_address_collection.allowed_countries`). */
  readonly shippingCountries?: readonly string[];
}

export function buildProduct(spec: LineItemSpec, livemode: boolean): Stripe.Product {
  return {
    id: spec.productId ?? randomId('prod_', 14),
    object: 'product',
    active: true,
    created: Math.floor(Date.now() / 1000),
    description: null,
    images: [],
    livemode,
    metadata: { ...(spec.metadata ?? {}) },
    name: spec.name,
    shippable: null,
    type: 'service',
    updated: Math.floor(Date.now() / 1000),
    url: null,
  } as unknown as Stripe.Product;
}

export function buildLineItem(spec: LineItemSpec, product: Stripe.Product, livemode: boolean): Stripe.LineItem {
  const currency = spec.currency ?? 'usd';
  const quantity = spec.quantity ?? 1;
  const amount = spec.unitAmount * quantity;
  const base = structuredClone(lineItemFixture) as unknown as Stripe.LineItem;
  return {
    ...base,
    id: randomId('li_', 24),
    description: spec.description ?? spec.name,
    currency,
    quantity,
    amount_subtotal: amount,
    amount_total: amount,
    amount_discount: 0,
    amount_tax: 0,
    // Built as JSON (the wire shape), where decimals are strings.
    price: {
      ...(base.price as unknown as Record<string, unknown>),
      id: spec.priceId ?? randomId('price_', 24),
      product: product.id,
      currency,
      unit_amount: spec.unitAmount,
      unit_amount_decimal: String(spec.unitAmount),
      livemode,
      type: 'one_time',
      recurring: null,
      transform_quantity: null,
      created: Math.floor(Date.now() / 1000),
    } as unknown as Stripe.Price,
  };
}

/** A new open, unpaid session shaped like `checkout.session.json`, with totals from its line items. */
export function buildSession(spec: SessionSpec, items: readonly Stripe.LineItem[], hostedBase: string): Stripe.Checkout.Session {
  const livemode = spec.livemode ?? false;
  const id = sessionId(livemode);
  const now = Math.floor(Date.now() / 1000);
  const total = items.reduce((sum, i) => sum + i.amount_total, 0);
  const base = structuredClone(sessionFixture) as unknown as Stripe.Checkout.Session;
  return {
    ...base,
    id,
    created: now,
    expires_at: now + 24 * 3600,
    livemode,
    mode: spec.mode ?? 'payment',
    status: 'open',
    payment_status: 'unpaid',
    currency: spec.currency ?? items[0]?.currency ?? 'usd',
    amount_subtotal: total,
    amount_total: total,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    shipping_cost: null,
    currency_conversion: null,
    customer_email: spec.customerEmail ?? null,
    customer_details: null,
    payment_intent: null,
    success_url: spec.successUrl ?? null,
    cancel_url: spec.cancelUrl ?? null,
    metadata: spec.metadata ?? {},
    payment_method_types: [...(spec.paymentMethodTypes ?? ['card'])],
    shipping_address_collection: spec.shippingCountries === undefined ? null : { allowed_countries: [...spec.shippingCountries] },
    collected_information: null,
    url: `${hostedBase}/pay/${id}`,
  };
}

/**
 * The PaymentIntent Checkout creates when the customer confirms, shaped like `payment_intent.json` (Stripe's
 * fixture): `succeeded` for a card, `processing` for a delayed method until it settles
 * (https://docs.stripe.com/payments/paymentintents/lifecycle).
 */
export function buildPaymentIntent(session: Stripe.Checkout.Session, status: 'succeeded' | 'processing'): Stripe.PaymentIntent {
  const base = structuredClone(paymentIntentFixture) as unknown as Stripe.PaymentIntent;
  const id = randomId('pi_', 24);
  const amount = session.amount_total ?? 0;
  const pi: Stripe.PaymentIntent = {
    ...base,
    id,
    amount,
    amount_received: 0,
    canceled_at: null,
    client_secret: `${id}_secret_${randomId('', 25)}`,
    created: Math.floor(Date.now() / 1000),
    currency: session.currency ?? 'usd',
    livemode: session.livemode,
    payment_method: randomId('pm_', 24),
    payment_method_types: [...session.payment_method_types],
    status,
  };
  // A card payment's charge is a `ch_`; a bank debit's is a `py_` (a "payment"), as on Stripe.
  return status === 'succeeded' ? settled(pi, 'succeeded', randomId('ch_', 24)) : pi;
}

/** The PaymentIntent after its (delayed) payment settled: a failed one returns to `requires_payment_method` with the error. */
export function settled(pi: Stripe.PaymentIntent, outcome: 'succeeded' | 'failed', chargeId = randomId('py_', 24)): Stripe.PaymentIntent {
  if (outcome === 'succeeded') return { ...pi, status: 'succeeded', amount_received: pi.amount, latest_charge: chargeId };
  return {
    ...pi,
    status: 'requires_payment_method',
    payment_method: null,
    latest_charge: chargeId,
    last_payment_error: {
      code: 'payment_intent_payment_attempt_failed',
      message: 'The latest payment attempt of this PaymentIntent has failed or been canceled, and the attached payment method has been removed.',
      payment_method: pi.payment_method,
      type: 'invalid_request_error',
    } as unknown as Stripe.PaymentIntent.LastPaymentError,
  };
}
