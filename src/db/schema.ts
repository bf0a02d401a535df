import { SESSION_STATUSES, type SessionStatus } from '../domain/session-status.js';
import type { AfterSaleFacts, ItemAccess, OrderAccess, RefundState } from '../domain/after-sale-policy.js';

export const LEDGER_KINDS = ['fulfilled', 'refund', 'dispute', 'access'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];
import { orm, pgCore } from './drizzle.js';

const { sql } = orm;
const { bigint, boolean, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, varchar } = pgCore;

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
    /** The OpenTelemetry trace id of the last run that recorded the session (null: tracing was off). */
    lastTraceId: text('last_trace_id'),
    /** The session's PaymentIntent, recorded at fulfillment: a refund or dispute finds its order with no Stripe call. */
    paymentIntent: text('payment_intent'),
    /** After the sale (issue 19): refunds `succeeded` or `pending`, in minor units, as last read from Stripe. */
    amountRefunded: bigint('amount_refunded', { mode: 'number' }).notNull().default(0),
    refundState: text('refund_state').$type<RefundState>().notNull().default('none'),
    /** The latest dispute's status as Stripe has it, or null. */
    disputeStatus: text('dispute_status'),
    /** The order's access (active, suspended, revoked, partially_revoked); null until fulfilled. */
    access: text('access').$type<OrderAccess>(),
    /** The number of after-sale changes recorded (the ledger's latest `seq`): part of each change's effects' key. */
    afterSaleSeq: integer('after_sale_seq').notNull().default(0),
    /**
     * Stripe's refunds and disputes as the latest after-sale run read them (domain/after-sale-policy.ts's
     * AfterSaleFacts), or null when none has run: a session fulfilled after its refund applies them.
     */
    afterSaleFacts: jsonb('after_sale_facts').$type<AfterSaleFacts>(),
    /** When the run that wrote `after_sale_facts` began reading Stripe (Postgres' clock): an older read never overwrites a newer one. */
    afterSaleReadAt: timestamp('after_sale_read_at', { withTimezone: true }),
  },
  (t) => [
    check('checkout_sessions_status_check', sql`${t.status} in (${sqlList(SESSION_STATUSES)})`),
    index('checkout_sessions_status_idx').on(t.status),
    // The order desk's searches: a PaymentIntent, and an email typed in any case.
    index('checkout_sessions_payment_intent_idx').on(t.paymentIntent),
    // Reconciliation lists refunds and disputes per connected account it has seen (db/after-sale-reconcile.ts):
    // partial, so a platform-only merchant's inserts never touch it.
    index('checkout_sessions_account_idx').on(t.account).where(sql`${t.account} is not null`),
    index('checkout_sessions_email_idx').on(sql`lower(${t.customerEmail})`),
    // The desk's attention list reads the orders with a dispute on every visit: partial, as few orders have one.
    index('checkout_sessions_dispute_idx').on(t.disputeStatus).where(sql`${t.disputeStatus} is not null`),
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
    /** After the sale: `active`, `suspended` (an open dispute) or `revoked` (refunded, a lost dispute). */
    access: text('access').$type<ItemAccess>().notNull().default('active'),
    /** The Stripe object (re_…, du_…) that took it back; null while active. */
    accessCause: text('access_cause'),
  },
  // The primary key is the last line of defence: a line item can never be stored twice.
  (t) => [primaryKey({ columns: [t.sessionId, t.id] })],
);

/** A note's display options as stored (fulfillment/handler.ts's NoteDisplay). */
export interface NoteDisplayRow {
  readonly heading?: string;
  readonly group?: string;
  readonly codes?: readonly string[];
  readonly public?: boolean;
  readonly later?: string;
}

/**
 * The after-sale ledger (issue 19): append-only, one row per thing that changed in an order, written in the
 * transaction that changed it. `seq` is the order's change number (checkout_sessions.after_sale_seq; 0 is the
 * fulfillment); the rows of one change share it. Kinds: `fulfilled`, `refund` (amount refunded, refund state),
 * `dispute` (dispute status), `access` (one line item's access, with the previous one).
 */
export const orderLedger = pgTable(
  'order_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    kind: text('kind').$type<LedgerKind>().notNull(),
    lineItemId: text('line_item_id'),
    /** `access`: the new access; `fulfilled`: the order's access then. */
    access: text('access'),
    previousAccess: text('previous_access'),
    amountRefunded: bigint('amount_refunded', { mode: 'number' }),
    refundState: text('refund_state'),
    disputeStatus: text('dispute_status'),
    /** The Stripe object that caused it (re_…, du_…, ch_…, cs_…). */
    stripeObject: text('stripe_object'),
    /** The event that led to the run, when one did. */
    eventId: text('event_id'),
    trigger: text('trigger').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('order_ledger_kind_check', sql`${t.kind} in (${sqlList(LEDGER_KINDS)})`),
    index('order_ledger_session_idx').on(t.sessionId, t.seq),
  ],
);

/** Lines a fulfillment handler added for the customer (`ctx.note`): the order page and the receipt show them. */
export const fulfillmentNotes = pgTable(
  'fulfillment_notes',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    /** The line item it is about, or null for the whole order. */
    lineItemId: text('line_item_id'),
    /** The handler that added it. */
    handler: text('handler').notNull(),
    text: text('text').notNull(),
    /** How the order page shows it (the handler's `NoteDisplay`: heading, codes, public, later); null: the defaults. */
    display: jsonb('display').$type<NoteDisplayRow>(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.position] })],
);

/** Effect states: `pending` until delivered, `dead` after the retry horizon or a permanent refusal, `skipped` on purpose. */
export const EFFECT_STATUSES = ['pending', 'delivered', 'dead', 'skipped'] as const;
export type EffectStatus = (typeof EFFECT_STATUSES)[number];

/**
 * The transactional outbox: every external effect of a fulfillment (receipt email, callback, ...), written
 * in the session's fulfillment transaction and delivered after commit by the dispatcher. Unique on
 * (session, scope, kind, target), so an effect exists exactly once or not at all.
 */
export const fulfillmentEffects = pgTable(
  'fulfillment_effects',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
    /** A line item id, or `order` for the whole order. */
    scope: text('scope').notNull(),
    kind: text('kind').notNull(),
    /** Who receives it (email address, URL, ...); '' when the kind has a single receiver. */
    target: text('target').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').$type<EffectStatus>().notNull(),
    /** Delivery attempts started (a claimed attempt counts even when its process died). */
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    /** A delivery is in flight until then (a lease: a dead process's attempt expires). */
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    /** When a BullMQ job was last added for it; the sweeper re-adds jobs only for rows stale since. */
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    /**
     * When the sweeper looks at this pending row next: once it is due and its job, if any, should have run
     * (JOB_GRACE_MS after it was added), or its attempt's lease has ended. Stamped by every statement that
     * changes those (effect-store.ts); a row written without it (an older worker) is looked at at once.
     */
    sweepAt: timestamp('sweep_at', { withTimezone: true }).notNull().defaultNow(),
    lastCode: text('last_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    unique('fulfillment_effects_key').on(t.sessionId, t.scope, t.kind, t.target),
    check('fulfillment_effects_status_check', sql`${t.status} in ('pending','delivered','dead','skipped')`),
    // The sweeper's scan: only pending rows it has to look at now, however many others wait (an SMTP outage).
    index('fulfillment_effects_sweep_idx').on(t.sweepAt).where(sql`${t.status} = 'pending'`),
    index('fulfillment_effects_status_idx').on(t.status, t.kind),
  ],
);

/** Receivers that asked never to be called again (HTTP 410); effects to them are skipped until re-enabled. */
export const effectTargetsDisabled = pgTable(
  'effect_targets_disabled',
  {
    kind: text('kind').notNull(),
    target: text('target').notNull(),
    reason: text('reason').notNull(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.target] })],
);

/**
 * Sessions whose fulfillment failed permanently on their own data (poison): one row per session, written
 * by the worker in a transaction of its own (the run's transaction rolled back). The landing page and
 * reconciliation read it so that such a session is not run again on every visit; an operator clears it
 * with `retry-failed` once the cause is fixed. No foreign key: the session's row may never have been written.
 */
/**
 * Reconciliation's cursor over refunds and disputes (db/after-sale-reconcile.ts): per account (`platform` for the
 * platform's own), when its last complete pass began, in Unix seconds. In Postgres, so it works on either queue backend.
 */
export const reconcileCursors = pgTable('reconcile_cursors', {
  account: text('account').primaryKey(),
  afterSalePassStartedAt: bigint('after_sale_pass_started_at', { mode: 'number' }).notNull(),
});

export const fulfillmentFailures = pgTable('fulfillment_failures', {
  sessionId: text('session_id').primaryKey(),
  /** A FailureCode (queue/job-failure.ts), e.g. `poison_data`. */
  code: text('code').notNull(),
  detail: text('detail').notNull(),
  jobId: text('job_id'),
  lastTrigger: text('last_trigger'),
  failures: integer('failures').notNull().default(1),
  firstFailedAt: timestamp('first_failed_at', { withTimezone: true }).notNull(),
  lastFailedAt: timestamp('last_failed_at', { withTimezone: true }).notNull(),
});

/**
 * QUEUE_BACKEND=postgres: what the fleet shares where Redis keys with a TTL served before (the landing
 * page's memory of unknown ids and recent lookups, the Stripe budget's fleet pause and class
 * announcements). A row past `expires_at` counts as absent; expired rows are deleted now and then.
 */
export const expiringFlags = pgTable(
  'expiring_flags',
  {
    key: text('key').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('expiring_flags_expires_at_idx').on(t.expiresAt)],
);

/** QUEUE_BACKEND=postgres: the Stripe budget's next free slot per limit (ms since the epoch; stripe/pg-spaced-permits.ts). */
export const stripeSlots = pgTable('stripe_slots', {
  key: text('key').primaryKey(),
  nextFree: doublePrecision('next_free').notNull(),
});

/**
 * QUEUE_BACKEND=postgres: rate-limiter-flexible's RateLimiterPostgres table (its own column layout), shared
 * by every limiter (keys carry the limiter's prefix): the landing lookup caps and the operator login lockout.
 */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});

/**
 * An order's story for the order desk (issue 22): one row per thing that happened to a session, written where
 * it happened (in the run's transaction for its commit, in an action's transaction for an operator's act;
 * batched for runs, webhook events and effect attempts: history-writer.ts says why). No foreign key: events
 * and failed runs come before (or without) the session's row. Pruned after ORDER_HISTORY_DAYS.
 */
export const orderHistory = pgTable(
  'order_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sessionId: text('session_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** A HistoryKind (domain/order-history.ts): webhook, run, commit, effect, action. */
    kind: text('kind').notNull(),
    /** Who did it: the operator (Basic auth user, `cli:<os user>`); null for the service itself. */
    actor: text('actor'),
    /** The Stripe event id, for webhook entries (the desk searches by it). */
    eventId: text('event_id'),
    detail: jsonb('detail').notNull(),
  },
  (t) => [
    index('order_history_session_idx').on(t.sessionId, t.id),
    index('order_history_event_idx').on(t.eventId).where(sql`${t.eventId} is not null`),
    index('order_history_at_idx').on(t.at),
  ],
);

export type CheckoutSessionRow = typeof checkoutSessions.$inferSelect;
export type CheckoutLineItemRow = typeof checkoutLineItems.$inferSelect;
export type NewCheckoutLineItem = typeof checkoutLineItems.$inferInsert;
