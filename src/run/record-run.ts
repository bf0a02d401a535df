import type postgres from 'postgres';
import type Stripe from 'stripe';
import type { RunOutcome } from '../domain/run-outcome.js';
import { storableRun } from '../domain/storable.js';
import { isFinal, nextStatus, type SessionStatus } from '../domain/session-status.js';
import type { Trigger } from '../domain/trigger.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { runHandlers, type NewEffect } from './run-handlers.js';
import { sent } from '../lib/sent.js';
import type { Tx } from '../db/client.js';
import { currentTraceId, withDbTransaction } from '../observability/tracing.js';
import { deriveAfterSale, type AfterSaleFacts, type OrderAccess, type RefundState } from '../domain/after-sale-policy.js';
import { applyAfterSale, type AfterSaleSettings, type AppliedChange } from './apply-after-sale.js';
import { orderSnapshot } from '../fulfillment/order-snapshot.js';
import type { CommitEntry } from '../domain/order-history.js';

export interface RunInput {
  readonly session: Stripe.Checkout.Session;
  /** Every line item, already fetched (empty unless the target is `fulfilled`). */
  readonly lineItems: readonly Stripe.LineItem[];
  readonly target: SessionStatus;
  readonly trigger: Trigger;
  readonly eventId?: string | undefined;
  readonly account?: string | undefined;
  /**
   * Nothing was stored for the session when the run began (the worker's pre-read): the run is sent as one
   * new session's, in one round trip, and falls back to the general path if a row appeared meanwhile.
   */
  readonly expectNew?: boolean | undefined;
}

export interface RecordOptions {
  /** The caller adds delivery jobs for `newEffects` right after commit (the worker does; the CLI leaves them to the sweeper). */
  readonly enqueuesAfterCommit?: boolean;
  /** `DISPUTE_POLICY` and the announcements' receivers, for a session whose refunds or disputes were recorded before its fulfillment. */
  readonly afterSale?: AfterSaleSettings;
}

/**
 * Records one fulfillment run in one transaction, exactly once per session however many runs race:
 * claim the row (insert it, or lock the existing one with `FOR UPDATE`), return if it is already
 * final, else run every handler (writing their notes and outbox effects) and move the status forward. No network call happens while the row
 * lock is held: the Stripe calls are done before this is called.
 */
export async function recordRun(
  sql: postgres.Sql,
  raw: RunInput,
  handlers: readonly FulfillmentHandler[],
  options: RecordOptions = {},
): Promise<RunOutcome> {
  // Before the transaction, on every path that records (worker, CLI, reconciliation's list pages):
  // a NUL or a lone surrogate typed by a customer must not fail the order (domain/storable.ts).
  const input: RunInput = { ...raw, ...storableRun(raw.session, raw.lineItems) };
  // One span for the transaction (tracing on): its statements are the span's events, never their parameters.
  if (input.expectNew === true) {
    const outcome = await withDbTransaction('postgresql record run (new session)', () => recordNew(sql, input, handlers, options));
    if (outcome !== undefined) return outcome;
  }
  return withDbTransaction('postgresql record run', () => recordAny(sql, input, handlers, options));
}

/**
 * A session nothing was stored for: BEGIN, a plain insert of its row, the handlers' writes and COMMIT leave
 * together, without waiting for any answer (one round trip to Postgres where recordAny takes two; the
 * worker spends ~100 us of CPU per statement batch sent and answered). The handlers run before Postgres has
 * answered the insert. If another run stored the session meanwhile, the insert fails on the primary key
 * (a concurrent run's insert waits for that one's commit first), everything after it fails with the
 * transaction, COMMIT rolls it back, and undefined sends the run to recordAny. Postgres logs that error:
 * it happens only when two runs of a new session race past the pre-read together.
 */
async function recordNew(sql: postgres.Sql, input: RunInput, handlers: readonly FulfillmentHandler[], options: RecordOptions): Promise<RunOutcome | undefined> {
  const c = columns(input);
  const tx = await sql.reserve();
  let ended = false;
  let inserted: Promise<unknown> | undefined;
  // The insert's own error, if it failed: a conflict sends the run to recordAny; any other is the run's cause.
  const insertFailure = async (): Promise<unknown> => inserted?.then(() => undefined, (err: unknown) => err ?? new Error('session insert failed'));
  try {
    const nowDate = new Date();
    const begun = sent(tx`begin`);
    inserted = sent(insertSession(tx, c, input.target, nowDate.toISOString(), false, input));
    const writes = writesFor(input.target) ? await runHandlers(tx, sql, handlers, handlersInput(input, input.target, nowDate, options)) : undefined;
    ended = true;
    const committed = sent(tx`commit`);
    const settled = await Promise.allSettled([begun, inserted, writes?.newEffects, committed]);
    if (isSessionConflict(await insertFailure())) return undefined;
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    return outcome(c, input.target, true, input, settled[2].status === 'fulfilled' ? settled[2].value : undefined);
  } catch (err) {
    // A handler threw before COMMIT was sent, perhaps only because the insert had failed the transaction.
    if (!ended) await tx`rollback`.catch(() => undefined);
    const failure = await insertFailure();
    if (isSessionConflict(failure)) return undefined;
    throw failure ?? err;
  } finally {
    tx.release();
  }
}

/** Any run: claims the row whether or not it exists (insert, or lock the stored one) and decides from what it finds. */
async function recordAny(sql: postgres.Sql, input: RunInput, handlers: readonly FulfillmentHandler[], options: RecordOptions): Promise<RunOutcome> {
  const c = columns(input);
  // One connection, BEGIN and COMMIT sent by hand rather than by sql.begin: BEGIN goes out with the
  // session's insert and COMMIT with the handlers' writes, so the run takes two round trips to Postgres
  // where sql.begin, which waits for each, took four (each statement sent costs the worker ~100 us).
  const tx = await sql.reserve();
  let ended = false;
  try {
    // ISO strings, not Dates: drizzle sets postgres.js's timestamp serializers to pass values through.
    const nowDate = new Date();
    const now = nowDate.toISOString();
    const begun = sent(tx`begin`);
    // A new session: insert it with its status straight away (the common case: one statement). A
    // concurrent run inserting the same id waits here for this transaction, then finds the row.
    const insert = sent(insertSession(tx, c, input.target, now, true, input));
    await begun;
    const inserted = await insert;
    let status: SessionStatus = input.target;
    let changed = true;
    let locked: LockedRow | undefined;
    if (inserted.length === 0) {
      // It exists: lock it (waiting for any run holding it), then decide from what that run left.
      const [row] = await tx<LockedRow[]>`
        select status, after_sale_seq, after_sale_facts, amount_refunded, refund_state, dispute_status, access
        from checkout_sessions where id = ${c.id} for update`;
      if (row === undefined) throw new Error(`session row ${c.id} vanished inside its transaction`);
      if (isFinal(row.status)) {
        ended = true;
        await tx`commit`;
        return { sessionId: c.id, status: row.status, changed: false, lineItemCount: 0, customerEmail: c.customerEmail };
      }
      status = nextStatus(row.status, input.target);
      changed = status !== row.status;
      locked = row;
    }
    // A status reached by this run that tells the customer something: its handlers write in this transaction.
    // Fulfilled after its refund or dispute was recorded: the receipt, written first, must not show what the same transaction takes back.
    const inactiveItems = locked !== undefined && changed && status === 'fulfilled' ? itemsNotActive(input, locked, options) : undefined;
    const writes = changed && writesFor(status) ? await runHandlers(tx, sql, handlers, { ...handlersInput(input, status, nowDate, options), inactiveItems }) : undefined;
    // Fulfilled after its refund or dispute was recorded (a placeholder row holds Stripe's facts): taken back at once.
    const afterSale = locked !== undefined && changed && status === 'fulfilled' ? await fulfilledAfterSale(tx, sql, handlers, input, locked, nowDate, options) : undefined;
    const seq = (locked?.after_sale_seq ?? 0) + 1;
    // The order's story gets its commit in the update itself (a data-modifying CTE: no statement of its own,
    // each costs the worker ~100 us), there exactly when the new status is.
    const updated =
      inserted.length === 0
        ? sent(tx`
            with updated as (update checkout_sessions set status = ${status}, payment_status = ${c.paymentStatus}, stripe_status = ${c.stripeStatus},
              customer_email = ${c.customerEmail}, customer_name = ${c.customerName}, currency = ${c.currency},
              amount_subtotal = ${c.amountSubtotal}, amount_total = ${c.amountTotal}, updated_at = ${now},
              fulfilled_at = ${status === 'fulfilled' ? now : null}, attempt_count = attempt_count + 1,
              last_trigger = ${c.lastTrigger}, last_event_id = ${c.lastEventId}, last_trace_id = ${c.lastTraceId}, payment_intent = coalesce(${c.paymentIntent}, payment_intent)
              ${
                changed && status === 'fulfilled'
                  ? tx`, after_sale_seq = ${seq}, access = ${afterSale?.access ?? 'active'}, amount_refunded = ${afterSale?.state.amountRefunded ?? 0},
                      refund_state = ${afterSale?.state.refundState ?? 'none'}, dispute_status = ${afterSale?.state.disputeStatus ?? null}`
                  : tx``
              }
            where id = ${c.id} returning id)
            insert into order_history (session_id, kind, detail) select id, 'commit', ${commitEntry(c, status, input)}::jsonb from updated where ${changed}`)
        : undefined;
    // The ledger's first line for an order fulfilled over an existing row (a new row writes it with its insert).
    const ledgered = inserted.length === 0 && changed && status === 'fulfilled' ? sent(insertFulfilledLedger(tx, c, seq, afterSale?.access ?? 'active', now)) : undefined;
    // Behind every write: when one of them failed, Postgres answers this COMMIT by rolling back (no error),
    // and the run throws that write's own error (the first failure in the order sent). Every answer is in
    // before the connection goes back to the pool.
    ended = true;
    const committed = sent(tx`commit`);
    const [effects, afterEffects, ...rest] = await Promise.allSettled([writes?.newEffects, afterSale?.newEffects, updated, ledgered, committed]);
    for (const r of [effects, afterEffects, ...rest]) if (r?.status === 'rejected') throw r.reason;
    const all = [...(effects?.status === 'fulfilled' ? (effects.value ?? []) : []), ...(afterEffects?.status === 'fulfilled' ? (afterEffects.value ?? []) : [])];
    return outcome(c, status, changed, input, all);
  } catch (err) {
    // Not yet ended (a handler threw, a statement before COMMIT failed): nothing of the run is kept.
    if (!ended) await tx`rollback`.catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/**
 * The session's row as this run sees it; `onConflict`: nothing when it exists (recordAny), else the primary key's
 * error. Its commit in the order's story rides in the same statement (a data-modifying CTE), written only when
 * the row is: no statement of its own.
 */
function insertSession(tx: Tx, c: Columns, target: SessionStatus, now: string, onConflict: boolean, input: RunInput) {
  const fulfilled = target === 'fulfilled';
  // A fulfilled order's first ledger line (seq 1) rides in the same statement: no statement more on the hot path.
  return tx<{ status: SessionStatus }[]>`
    with s as (
      insert into checkout_sessions (id, account, status, payment_status, stripe_status, livemode, customer_email,
        customer_name, currency, amount_subtotal, amount_total, stripe_created_at, first_seen_at, updated_at,
        fulfilled_at, attempt_count, last_trigger, last_event_id, last_trace_id, payment_intent, access, after_sale_seq)
      values (${c.id}, ${c.account}, ${target}, ${c.paymentStatus}, ${c.stripeStatus}, ${c.livemode}, ${c.customerEmail},
        ${c.customerName}, ${c.currency}, ${c.amountSubtotal}, ${c.amountTotal}, ${c.stripeCreatedAt}, ${now}, ${now},
        ${fulfilled ? now : null}, 1, ${c.lastTrigger}, ${c.lastEventId}, ${c.lastTraceId}, ${c.paymentIntent}, ${fulfilled ? 'active' : null}, ${fulfilled ? 1 : 0})
      ${onConflict ? tx`on conflict (id) do nothing` : tx``}
      returning id, status
    )${
      fulfilled
        ? tx`, l as (
            insert into order_ledger (session_id, seq, kind, access, stripe_object, event_id, trigger, created_at)
            select id, 1, 'fulfilled', 'active', id, ${c.lastEventId}, ${c.lastTrigger}, ${now} from s
          )`
        : tx``
    }, noted as (insert into order_history (session_id, kind, detail) select id, 'commit', ${commitEntry(c, target, input)}::jsonb from s)
    select status from s`;
}

/** The `fulfilled` ledger line of an order whose row existed before its fulfillment. */
function insertFulfilledLedger(tx: Tx, c: Columns, seq: number, access: OrderAccess, now: string) {
  return tx`
    insert into order_ledger (session_id, seq, kind, access, stripe_object, event_id, trigger, created_at)
    values (${c.id}, ${seq}, 'fulfilled', ${access}, ${c.id}, ${c.lastEventId}, ${c.lastTrigger}, ${now})`;
}

const DEFAULT_AFTER_SALE: AfterSaleSettings = { disputePolicy: 'suspend', callbackUrls: [], emailOn: false };

interface LockedRow {
  status: SessionStatus;
  after_sale_seq: number;
  after_sale_facts: AfterSaleFacts | string | null;
  amount_refunded: string | number;
  refund_state: RefundState;
  dispute_status: string | null;
  access: OrderAccess | null;
}

/**
 * A session fulfilled after an after-sale run stored Stripe's refunds and disputes on its row: the policy
 * applies to the items just fulfilled, in this transaction (their `revoke` hooks run with them), at the same
 * `seq` as the `fulfilled` line. Undefined when no after-sale run has been: the common case costs nothing.
 */
async function fulfilledAfterSale(tx: Tx, sql: postgres.Sql, handlers: readonly FulfillmentHandler[], input: RunInput, row: LockedRow, now: Date, options: RecordOptions): Promise<AppliedChange | undefined> {
  const facts = storedFacts(row);
  if (facts === undefined) return undefined;
  const applied = await applyAfterSale(tx, sql, handlers, {
    sessionId: input.session.id,
    seq: row.after_sale_seq + 1,
    facts,
    settings: options.afterSale ?? DEFAULT_AFTER_SALE,
    amountTotal: input.session.amount_total ?? 0,
    snapshot: orderSnapshot(input.session, input.lineItems, [], now),
    items: new Map(input.lineItems.map((li) => [li.id, 'active' as const])),
    previous: { amountRefunded: Number(row.amount_refunded), refundState: row.refund_state, disputeStatus: row.dispute_status, access: 'active' },
    order: { session: input.session, lineItems: input.lineItems },
    now,
    trigger: input.trigger,
    eventId: input.eventId ?? null,
    objectId: null,
    enqueuesAfterCommit: options.enqueuesAfterCommit ?? false,
  });
  if (applied === 'needs_order') throw new Error('unreachable: the fulfillment run has the order');
  return applied;
}

/** The line items the stored after-sale facts leave not active (the policy fulfilledAfterSale applies), or undefined without facts. */
function itemsNotActive(input: RunInput, row: LockedRow, options: RecordOptions): ReadonlySet<string> | undefined {
  const facts = storedFacts(row);
  if (facts === undefined) return undefined;
  const order = { amountTotal: input.session.amount_total ?? 0, lineItemIds: input.lineItems.map((li) => li.id) };
  const state = deriveAfterSale(facts, order, (options.afterSale ?? DEFAULT_AFTER_SALE).disputePolicy);
  return new Set(state.items.filter((i) => i.access !== 'active').map((i) => i.id));
}

function storedFacts(row: LockedRow): AfterSaleFacts | undefined {
  if (row.after_sale_facts === null) return undefined;
  return (typeof row.after_sale_facts === 'string' ? JSON.parse(row.after_sale_facts) : row.after_sale_facts) as AfterSaleFacts;
}

/** The commit's entry (domain/order-history.ts), as JSON text. */
function commitEntry(c: Columns, status: SessionStatus, input: RunInput): string {
  const entry: CommitEntry = { kind: 'commit', status, trigger: input.trigger, lineItems: status === 'fulfilled' ? input.lineItems.length : 0 };
  return JSON.stringify(entry);
}

function handlersInput(input: RunInput, outcome: 'fulfilled' | 'payment_failed', fulfilledAt: Date, options: RecordOptions) {
  return { session: input.session, lineItems: input.lineItems, fulfilledAt, enqueuesAfterCommit: options.enqueuesAfterCommit ?? false, outcome };
}

/** The statuses whose recording runs handlers: fulfillment, and a delayed payment's failure (the customer is told). */
function writesFor(status: SessionStatus): status is 'fulfilled' | 'payment_failed' {
  return status === 'fulfilled' || status === 'payment_failed';
}

function outcome(c: Columns, status: SessionStatus, changed: boolean, input: RunInput, newEffects: readonly NewEffect[] | undefined): RunOutcome {
  const lineItemCount = status === 'fulfilled' ? input.lineItems.length : 0;
  return { sessionId: c.id, status, changed, lineItemCount, newEffects: newEffects ?? [], customerEmail: c.customerEmail };
}

/** Another run stored the session first: Postgres refused the plain insert on the primary key. */
function isSessionConflict(err: unknown): boolean {
  const e = err as { code?: unknown; constraint_name?: unknown } | null;
  return typeof e === 'object' && e !== null && e.code === '23505' && e.constraint_name === 'checkout_sessions_pkey';
}

type Columns = ReturnType<typeof columns>;

function columns({ session, trigger, eventId, account }: RunInput) {
  return {
    id: session.id,
    account: account ?? null,
    paymentStatus: session.payment_status,
    stripeStatus: session.status,
    livemode: session.livemode,
    customerEmail: session.customer_details?.email ?? session.customer_email ?? null,
    customerName: session.customer_details?.name ?? null,
    currency: session.currency,
    amountSubtotal: session.amount_subtotal,
    amountTotal: session.amount_total,
    stripeCreatedAt: new Date(session.created * 1000).toISOString(),
    lastTrigger: trigger,
    lastEventId: eventId ?? null,
    /** The run's trace (tracing on), for support: the order page and `cli status` show it. */
    lastTraceId: currentTraceId(),
    paymentIntent: typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
  };
}
