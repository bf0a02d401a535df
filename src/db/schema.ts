import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { SESSION_STATUSES, type SessionStatus } from '../domain/session-status.js';

// Defined by the domain; re-exported for the adapters that read rows.
export { SESSION_STATUSES, type SessionStatus };

/** `'a','b',…` for a check constraint: the values are the domain's own constants, never input. */
const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v.replaceAll("'", "''")}'`).join(','));

export const checkoutSessions = pgTable(
  'checkout_sessions',
  {
    id: text('id').primaryKey(),
    /** Connected account (Stripe Connect) that owns the session, or null for the platform's own. */
    account: text('account'),
    status: text('status').$type<SessionStatus>().notNull(),
    paymentStatus: text('payment_status').notNull(),
    stripeStatus: text('stripe_status'),
    livemode: boolean('livemode').notNull(),
    customerEmail: text('customer_email'),
    customerName: text('customer_name'),
    currency: text('currency'),
    amountSubtotal: bigint('amount_subtotal', { mode: 'number' }),
    amountTotal: bigint('amount_total', { mode: 'number' }),
    stripeCreatedAt: timestamp('stripe_created_at', { withTimezone: true }),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    fulfilledAt: timestamp('fulfilled_at', { withTimezone: true }),
    /** Number of fulfillment runs that reached the transaction for this session. */
    attemptCount: integer('attempt_count').notNull().default(0),
    lastTrigger: text('last_trigger'),
    lastEventId: text('last_event_id'),
  },
  (t) => [
    check('checkout_sessions_status_check', sql`${t.status} in (${sqlList(SESSION_STATUSES)})`),
    index('checkout_sessions_status_idx').on(t.status),
  ],
);

export const checkoutLineItems = pgTable(
  'checkout_line_items',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    position: integer('position').notNull(),
    priceId: text('price_id'),
    productId: text('product_id'),
    description: text('description'),
    quantity: integer('quantity'),
    unitAmount: bigint('unit_amount', { mode: 'number' }),
    amountSubtotal: bigint('amount_subtotal', { mode: 'number' }).notNull(),
    amountDiscount: bigint('amount_discount', { mode: 'number' }).notNull(),
    amountTax: bigint('amount_tax', { mode: 'number' }).notNull(),
    amountTotal: bigint('amount_total', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    fulfilledAt: timestamp('fulfilled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The primary key is the last line of defence: a line item can never be stored twice.
  (t) => [primaryKey({ columns: [t.sessionId, t.id] })],
);

/** What a digital line item granted: one access code per line item (fulfiller `grant-access`). */
export const accessGrants = pgTable(
  'access_grants',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    lineItemId: text('line_item_id').notNull(),
    productId: text('product_id'),
    productName: text('product_name'),
    accessCode: text('access_code').notNull(),
    customerEmail: text('customer_email'),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.lineItemId] })],
);

/** A physical line item to ship (fulfiller `create-shipment`); the warehouse takes it from here. */
export const shipments = pgTable(
  'shipments',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    lineItemId: text('line_item_id').notNull(),
    productId: text('product_id'),
    quantity: integer('quantity').notNull(),
    shipToName: text('ship_to_name'),
    address: jsonb('address').$type<Record<string, string | null>>(),
    status: text('status').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.lineItemId] })],
);

export type CheckoutSessionRow = typeof checkoutSessions.$inferSelect;
export type CheckoutLineItemRow = typeof checkoutLineItems.$inferSelect;
export type NewCheckoutLineItem = typeof checkoutLineItems.$inferInsert;
