import type postgres from 'postgres';
import type Stripe from 'stripe';
import type { RunOutcome } from '../domain/run-outcome.js';
import { storableRun } from '../domain/storable.js';
import { isFinal, nextStatus, type SessionStatus } from '../domain/session-status.js';
import type { Trigger } from '../domain/trigger.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import { runHandlers } from './run-handlers.js';
import { sent } from './sent.js';

/**
 * The transaction's connection (handlers see it wrapped, see handler-db.ts). This hot path uses postgres.js directly rather
 * than drizzle's query builder: its tagged templates become prepared statements, and on the end-to-end
 * benchmark drizzle's per-query building cost about a fifth of the worker's CPU. Table and column names
 * are drizzle's schema (schema.ts), which owns the migrations.
 */
export type Tx = postgres.ReservedSql;

export interface RunInput {
  readonly session: Stripe.Checkout.Session;
  /** Every line item, already fetched (empty unless the target is `fulfilled`). */
  readonly lineItems: readonly Stripe.LineItem[];
  readonly target: SessionStatus;
  readonly trigger: Trigger;
  readonly eventId?: string | undefined;
  readonly account?: string | undefined;
}

/**
 * Records one fulfillment run in one transaction, exactly once per session however many runs race:
 * claim the row (insert it, or lock the existing one with `FOR UPDATE`), return if it is already
 * final, else run every handler (writing their notes and outbox effects) and move the status forward. No network call happens while the row
 * lock is held: the Stripe calls are done before this is called.
 */
export interface RecordOptions {
  /** The caller adds delivery jobs for `newEffects` right after commit (the worker does; the CLI leaves them to the sweeper). */
  readonly enqueuesAfterCommit?: boolean;
}

export async function recordRun(
  sql: postgres.Sql,
  raw: RunInput,
  handlers: readonly FulfillmentHandler[],
  options: RecordOptions = {},
): Promise<RunOutcome> {
  // Before the transaction, on every path that records (worker, CLI, reconciliation's list pages):
  // a NUL or a lone surrogate typed by a customer must not fail the order (domain/storable.ts).
  const input: RunInput = { ...raw, ...storableRun(raw.session, raw.lineItems) };
  const { session } = input;
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
    const insert = sent(tx<{ status: SessionStatus }[]>`
      insert into checkout_sessions (id, account, status, payment_status, stripe_status, livemode, customer_email,
        customer_name, currency, amount_subtotal, amount_total, stripe_created_at, first_seen_at, updated_at,
        fulfilled_at, attempt_count, last_trigger, last_event_id)
      values (${c.id}, ${c.account}, ${input.target}, ${c.paymentStatus}, ${c.stripeStatus}, ${c.livemode}, ${c.customerEmail},
        ${c.customerName}, ${c.currency}, ${c.amountSubtotal}, ${c.amountTotal}, ${c.stripeCreatedAt}, ${now}, ${now},
        ${input.target === 'fulfilled' ? now : null}, 1, ${c.lastTrigger}, ${c.lastEventId})
      on conflict (id) do nothing
      returning status`);
    await begun;
    const inserted = await insert;
    let status: SessionStatus = input.target;
    let changed = true;
    if (inserted.length === 0) {
      // It exists: lock it (waiting for any run holding it), then decide from what that run left.
      const [row] = await tx<{ status: SessionStatus }[]>`select status from checkout_sessions where id = ${c.id} for update`;
      if (row === undefined) throw new Error(`session row ${c.id} vanished inside its transaction`);
      if (isFinal(row.status)) {
        ended = true;
        await tx`commit`;
        return { sessionId: c.id, status: row.status, changed: false, lineItemCount: 0, customerEmail: c.customerEmail };
      }
      status = nextStatus(row.status, input.target);
      changed = status !== row.status;
    }
    const writes =
      status === 'fulfilled'
        ? await runHandlers(tx, sql, handlers, { session, lineItems: input.lineItems, fulfilledAt: nowDate, enqueuesAfterCommit: options.enqueuesAfterCommit ?? false })
        : undefined;
    const updated =
      inserted.length === 0
        ? sent(tx`
            update checkout_sessions set status = ${status}, payment_status = ${c.paymentStatus}, stripe_status = ${c.stripeStatus},
              customer_email = ${c.customerEmail}, customer_name = ${c.customerName}, currency = ${c.currency},
              amount_subtotal = ${c.amountSubtotal}, amount_total = ${c.amountTotal}, updated_at = ${now},
              fulfilled_at = ${status === 'fulfilled' ? now : null}, attempt_count = attempt_count + 1,
              last_trigger = ${c.lastTrigger}, last_event_id = ${c.lastEventId}
            where id = ${c.id}`)
        : undefined;
    // Behind every write: when one of them failed, Postgres answers this COMMIT by rolling back (no error),
    // and the run throws that write's own error (the first failure in the order sent). Every answer is in
    // before the connection goes back to the pool.
    ended = true;
    const committed = sent(tx`commit`);
    const [effects, ...rest] = await Promise.allSettled([writes?.newEffects, updated, committed]);
    for (const r of [effects, ...rest]) if (r?.status === 'rejected') throw r.reason;
    const newEffects = (effects?.status === 'fulfilled' ? effects.value : undefined) ?? [];
    const lineItemCount = status === 'fulfilled' ? input.lineItems.length : 0;
    return { sessionId: c.id, status, changed, lineItemCount, newEffects, customerEmail: c.customerEmail };
  } catch (err) {
    // Not yet ended (a handler threw, a statement before COMMIT failed): nothing of the run is kept.
    if (!ended) await tx`rollback`.catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

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
  };
}
