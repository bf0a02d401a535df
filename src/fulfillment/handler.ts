import type { PgTable } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type Stripe from 'stripe';
import type { EffectKind, OrderSnapshot } from '../effects/effect.js';
import type { ItemAccess } from '../domain/after-sale-policy.js';
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
  /** drizzle bound to this transaction, for reads and anything `insert` does not cover (tables from your schema files). */
  readonly drizzle: PostgresJsDatabase;
}

/**
 * How a note shows on the customer's order page (the receipt always has its text). Whoever holds the
 * page's link can open it, so by default a note shows only in the first ORDER_PAGE_SECRET_WINDOW after
 * fulfillment (the customer's own visit right after paying).
 */
export interface NoteDisplay {
  /** The page's section it goes in; notes with one heading share a section, in the order added. Default "From the shop". */
  readonly heading?: string;
  /** A list within the section, under this title ("Preparing to ship"), in the order its first note was added. */
  readonly group?: string;
  /** Parts of the text shown as codes (an access code, licence keys): kept on one line, easy to copy. */
  readonly codes?: readonly string[];
  /** Shown for as long as the page exists (no secret in it: "Preparing to ship."). Default false. */
  readonly public?: boolean;
  /** What the page shows instead once the window has passed ("Yours."); default nothing. */
  readonly later?: string;
  /** In the receipt and callbacks too (default true); false: the order page only (a line the receipt's table already says). */
  readonly inReceipt?: boolean;
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
   * after commit by the dispatcher, with retries, by the deliverer registered for `kind`. `payload` is
   * checked against the kind's type (`defineEffectKind<P>`), as its deliverer's is. Never call the
   * outside world from a handler: the transaction may still roll back, or the process die after the call.
   */
  effect<P>(kind: EffectKind<P>, payload: NoInfer<P>, options?: EffectOptions): void;
  /** Adds a line for the customer, in the receipt and on the order page as `display` says ("Access code: …"). */
  note(text: string, lineItemId?: string, display?: NoteDisplay): void;
  /** The order as it stands: items, totals and the notes added so far (all of them in stage `announce`). */
  order(): OrderSnapshot;
}

/** One line item's part in an after-sale change. */
export interface AccessChangeItem {
  readonly id: string;
  /** Its access now: `suspended` or `revoked` for `revoke`, `active` for `reinstate`. */
  readonly access: ItemAccess;
  readonly previous: ItemAccess;
  /** The Stripe object that took it back (re_…, du_…); null when it comes back. */
  readonly cause: string | null;
}

/**
 * What `revoke` and `reinstate` get: the fulfillment context (the session and the line items concerned that
 * this handler takes, as Stripe has them) and the change. Effects scheduled here are keyed by the change's
 * `seq`, so a later change (a reinstatement, a second refund) schedules its own. Notes are not kept.
 */
export interface AccessChangeContext extends HandlerContext {
  readonly change: {
    /** The order's change number (the ledger's `seq`). */
    readonly seq: number;
    /** The items of `lineItems`, with their new and previous access. */
    readonly items: readonly AccessChangeItem[];
  };
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
  /**
   * Optional: takes back what `fulfill` granted for `lineItems` (a refund, an open or lost dispute: see README,
   * "After the sale"). Runs inside the transaction that records the change, once per change: never for a
   * redelivery, never for an item whose access did not change. If it throws, nothing of the change is kept
   * and the run is retried. Between suspended and revoked it does not run again: access is still taken back.
   */
  revoke?(ctx: AccessChangeContext): Promise<void>;
  /** Optional: gives back what `revoke` took (a refund that failed or was canceled, a dispute won). Same rules. */
  reinstate?(ctx: AccessChangeContext): Promise<void>;
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
