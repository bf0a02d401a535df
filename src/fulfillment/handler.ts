import type { PgTable } from 'drizzle-orm/pg-core';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import type { OrderSnapshot } from '../effects/effect.js';
import { fulfillmentName, lookupKey, priceId, productId } from './line-item.js';

/**
 * Which line items a handler takes. A line-item selector runs the handler once per session with the
 * items that match (not at all when none do); `'order'` runs it once per fulfilled session with every item.
 */
export type Takes =
  /** Product metadata `fulfillment=<name>`, set on the product in the Dashboard or API. */
  | { readonly fulfillment: string }
  | { readonly product: string }
  | { readonly price: string }
  /** The price's `lookup_key`. */
  | { readonly lookupKey: string }
  | 'order';

/** Options of `ctx.effect`. The effect's unique key is (session, lineItemId or order, kind, target). */
export interface EffectOptions {
  /** Who receives it (an email address, a URL, a warehouse id); part of the unique key. Default ''. */
  readonly target?: string;
  /** The line item it is about; default: the whole order. */
  readonly lineItemId?: string;
  /** Record the effect as skipped, with this reason, instead of delivering it (operators see it). */
  readonly skipped?: string;
}

/** The database inside the session's fulfillment transaction, without the driver's quirks. */
export interface HandlerDb {
  /**
   * Inserts rows (drizzle's insert shape: Dates, objects for json columns) in one statement, sent at once
   * and pipelined with the run's other writes: it resolves without waiting for Postgres. Reads through
   * `drizzle` afterwards see the rows; if the insert fails, the whole run fails and rolls back.
   */
  insert<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][]): Promise<void>;
  /** drizzle bound to this transaction, for reads and anything `insert` does not cover. */
  readonly drizzle: Db;
}

/** What a handler gets. Everything it writes commits with the session's fulfillment, or not at all. */
export interface HandlerContext {
  readonly session: Stripe.Checkout.Session;
  /** The line items this handler takes (every item for `takes: 'order'`), with `price.product` expanded. */
  readonly lineItems: readonly Stripe.LineItem[];
  readonly fulfilledAt: Date;
  readonly db: HandlerDb;
  /**
   * Schedules an external effect (an email, an HTTP call). It is stored in this transaction and delivered
   * after commit by the dispatcher, with retries, by the deliverer registered for `kind`. Never call the
   * outside world from a handler: the transaction may still roll back, or the process die after the call.
   */
  effect(kind: string, payload: unknown, options?: EffectOptions): void;
  /** Adds a line for the customer, shown on the order page and in the receipt ("Access code: …"). */
  note(text: string, lineItemId?: string): void;
  /** The order as it stands: items, totals and the notes added so far (all of them in stage `announce`). */
  order(): OrderSnapshot;
}

export interface FulfillmentHandler {
  /** Unique; shows in logs and errors. */
  readonly name: string;
  readonly takes: Takes;
  /**
   * `fulfill` (default) runs first, in registry order; `announce` runs after every `fulfill` handler,
   * so that it sees all notes (the receipt and the callbacks are announcements).
   */
  readonly stage?: 'fulfill' | 'announce';
  fulfill(ctx: HandlerContext): Promise<void>;
  /**
   * Optional: runs once in the transaction that records a delayed payment's failure (status `payment_failed`,
   * from `checkout.session.async_payment_failed` or reconciliation), to tell the customer through an effect.
   * Nothing was fulfilled: `lineItems` is empty, and notes are not kept. Never runs twice for one session.
   */
  paymentFailed?(ctx: HandlerContext): Promise<void>;
}

/** Identity with type checking: `export default defineHandler({ ... })`. */
export function defineHandler(handler: FulfillmentHandler): FulfillmentHandler {
  return handler;
}

/** The items a handler takes, or undefined when it does not run for this session. */
export function matchingItems(takes: Takes, items: readonly Stripe.LineItem[]): readonly Stripe.LineItem[] | undefined {
  if (takes === 'order') return items;
  const matched = items.filter((item) => {
    if ('fulfillment' in takes) return fulfillmentName(item) === takes.fulfillment;
    if ('product' in takes) return productId(item) === takes.product;
    if ('price' in takes) return priceId(item) === takes.price;
    return lookupKey(item) === takes.lookupKey;
  });
  return matched.length === 0 ? undefined : matched;
}
