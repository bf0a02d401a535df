import type postgres from 'postgres';
import type Stripe from 'stripe';
import { EFFECT_KIND_NAME, type EffectKind, type OrderNote } from '../effects/effect.js';
import { matchingItems, type EffectOptions, type FulfillmentHandler, type HandlerContext, type NoteDisplay } from '../fulfillment/handler.js';
import { orderSnapshot } from '../fulfillment/order-snapshot.js';
import { fitText } from '../domain/storable.js';
import type { Tx } from '../db/client.js';
import { JOB_GRACE_MS } from '../effects/effect-store.js';
import { createHandlerDb } from './handler-db.js';
import { sent } from '../lib/sent.js';
import { recordLineItems } from './line-items.js';
import { displayJson, HandlerInputError, MAX_NOTE } from './note-display.js';

export { HandlerInputError } from './note-display.js';

const MAX_TARGET = 2048;

export interface HandlersInput {
  readonly session: Stripe.Checkout.Session;
  readonly lineItems: readonly Stripe.LineItem[];
  readonly fulfilledAt: Date;
  /** The caller adds the delivery jobs right after commit: stamp the rows so the sweeper leaves them alone. */
  readonly enqueuesAfterCommit: boolean;
  /** What the run records: a fulfillment (each handler's `fulfill`) or a failed delayed payment (`paymentFailed`). */
  readonly outcome?: 'fulfilled' | 'payment_failed';
  /**
   * Line items whose access is not active as the run commits (a refund or dispute recorded before the fulfillment,
   * applied in the same transaction): receipts and callbacks leave out their notes (an access code already revoked).
   */
  readonly inactiveItems?: ReadonlySet<string>;
}

/** A new effect, as the dispatcher's queue needs it. */
export interface NewEffect {
  readonly id: string;
  readonly kind: string;
}

/** Every write of the handlers, sent; the caller sends COMMIT behind them, then awaits this. */
export interface SentWrites {
  /** The new pending effects once every write succeeded; rejects with the first failed write's error. */
  readonly newEffects: Promise<readonly NewEffect[]>;
}

/**
 * Runs every handler inside the session's fulfillment transaction (stage `fulfill`, then `announce`),
 * then sends their notes and effects in one statement each, without waiting for any answer. Effects are unique per (session, scope,
 * kind, target): a duplicate is dropped, never delivered twice.
 */
export async function runHandlers(tx: Tx, pool: postgres.Sql, handlers: readonly FulfillmentHandler[], input: HandlersInput): Promise<SentWrites> {
  const { session, lineItems, fulfilledAt } = input;
  const notes: OrderNote[] = [];
  const noteHandlers: string[] = [];
  const noteDisplays: (string | null)[] = [];
  // What receipts and callbacks carry: every note but those declared for the order page only.
  const receiptNotes: OrderNote[] = [];
  const effects: { scope: string; kind: string; target: string; payload: string; skipped: string | undefined }[] = [];
  const db = createHandlerDb(tx, pool);
  // Sent at once, first, as every insert of the run: a fulfilled order's line items (line-items.ts).
  if (input.outcome !== 'payment_failed') await recordLineItems(db, session, lineItems, fulfilledAt);
  const note = (handler: string) => (text: string, lineItemId?: string, display?: NoteDisplay) => {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new HandlerInputError('invalid_note', `handler ${handler}: a note is a non-empty string`);
    }
    // Notes quote Stripe data (a shipping address): a long one is shortened, never refused.
    const kept = { lineItemId: lineItemId ?? null, text: fitText(text, MAX_NOTE) };
    notes.push(kept);
    noteHandlers.push(handler);
    noteDisplays.push(displayJson(handler, display));
    if (display?.inReceipt !== false) receiptNotes.push(kept);
  };
  const effect = (handler: string) => <P>(kind: EffectKind<P>, payload: P, options: EffectOptions = {}) => {
    const target = options.target ?? '';
    const name = (kind as Partial<EffectKind<P>> | undefined)?.name;
    if (typeof name !== 'string' || !EFFECT_KIND_NAME.test(name)) {
      throw new HandlerInputError('invalid_effect', `handler ${handler}: effect kind ${JSON.stringify(name ?? kind)} must be defineEffectKind's, named to match ${EFFECT_KIND_NAME}`);
    }
    if (typeof target !== 'string' || target.length > MAX_TARGET) {
      throw new HandlerInputError('invalid_effect', `handler ${handler}: effect target must be a string of at most ${MAX_TARGET} characters`);
    }
    const json = JSON.stringify(payload ?? null);
    // A JSON string: drizzle makes postgres.js's json serializer pass-through.
    effects.push({ scope: options.lineItemId ?? 'order', kind: name, target, payload: json, skipped: options.skipped });
  };
  const inactive = input.inactiveItems;
  const shownNotes = () => (inactive === undefined || inactive.size === 0 ? receiptNotes : receiptNotes.filter((n) => n.lineItemId === null || !inactive.has(n.lineItemId)));
  const order = () => orderSnapshot(session, lineItems, shownNotes(), fulfilledAt);
  if (input.outcome === 'payment_failed') {
    // Nothing to fulfill: each hook sees the order (no line items) and may schedule effects; notes are not kept.
    for (const handler of handlers) {
      await handler.paymentFailed?.({ session, lineItems: [], fulfilledAt, db, effect: effect(handler.name), note: () => undefined, order });
    }
  } else {
    for (const stage of ['fulfill', 'announce'] as const) {
      for (const handler of handlers) {
        if ((handler.stage ?? 'fulfill') !== stage) continue;
        const items = matchingItems(handler.takes, lineItems);
        if (items === undefined) continue;
        const ctx: HandlerContext = { session, lineItems: items, fulfilledAt, db, effect: effect(handler.name), note: note(handler.name), order };
        await handler.fulfill(ctx);
      }
    }
  }
  const now = fulfilledAt.toISOString();
  // Sent together with the handlers' inserts still in flight (handler-db.ts): one round trip for all the writes.
  const notesWritten =
    notes.length === 0
      ? undefined
      : sent(tx`insert into fulfillment_notes ${tx(notes.map((n, position) => ({
          session_id: session.id,
          position,
          line_item_id: n.lineItemId,
          handler: noteHandlers[position] ?? '',
          text: n.text,
          display: noteDisplays[position] ?? null,
        })))}`);
  const rows = effects.map((e) => ({
    session_id: session.id,
    scope: e.scope,
    kind: e.kind,
    target: e.target,
    payload: e.payload,
    status: e.skipped === undefined ? 'pending' : 'skipped',
    last_code: e.skipped === undefined ? null : 'skipped_by_handler',
    last_error: e.skipped ?? null,
    next_attempt_at: now,
    enqueued_at: input.enqueuesAfterCommit ? now : null,
    // Without a job coming, the sweep takes it at once; with one, only if that job has not run JOB_GRACE_MS later.
    sweep_at: input.enqueuesAfterCommit ? new Date(fulfilledAt.getTime() + JOB_GRACE_MS).toISOString() : now,
    created_at: now,
    finished_at: e.skipped === undefined ? null : now,
  }));
  const inserted =
    rows.length === 0
      ? undefined
      : sent(tx<{ id: string; kind: string; status: string }[]>`
          insert into fulfillment_effects ${tx(rows)} on conflict on constraint fulfillment_effects_key do nothing returning id, kind, status`);
  const newEffects = (async () => {
    // The handlers' writes first: their error is the cause when a later statement fails only because the transaction aborted.
    await db.written();
    await notesWritten;
    return ((await inserted) ?? []).filter((r) => r.status === 'pending').map((r) => ({ id: String(r.id), kind: r.kind }));
  })();
  return { newEffects: sent(newEffects) };
}
