import type postgres from 'postgres';
import type Stripe from 'stripe';
import { accessChange, type AccessChange } from '../domain/access-change.js';
import { deriveAfterSale, type AfterSaleFacts, type AfterSaleState, type DisputePolicy, type ItemAccess, type ItemVerdict, type OrderAccess, type RefundState } from '../domain/after-sale-policy.js';
import type { Tx } from '../db/client.js';
import { JOB_GRACE_MS } from '../effects/effect-store.js';
import { EFFECT_KIND_NAME, type EffectKind } from '../effects/effect.js';
import { announcements } from './after-sale-announcements.js';
import { matchingItems, type AccessChangeContext, type EffectOptions, type FulfillmentHandler } from '../fulfillment/handler.js';
import { orderSnapshot } from '../fulfillment/order-snapshot.js';
import type { OrderSnapshot } from '../effects/effect.js';
import { sent } from '../lib/sent.js';
import { createHandlerDb } from './handler-db.js';
import { HandlerInputError, type NewEffect } from './run-handlers.js';

/** The order's after-sale columns as stored before this change. */
export interface StoredAfterSale {
  readonly amountRefunded: number;
  readonly refundState: RefundState;
  readonly disputeStatus: string | null;
  readonly access: OrderAccess | null;
}

/** What after-sale changes do beyond the policy: `DISPUTE_POLICY`, and whom they are announced to (the receipt's settings). */
export interface AfterSaleSettings {
  readonly disputePolicy: DisputePolicy;
  /** `CALLBACK_URLS`: `order.refunded` and `order.access_changed` go to each. */
  readonly callbackUrls: readonly string[];
  /** `SMTP_URL` is set: the access email is sent (else recorded skipped, as the receipt is). */
  readonly emailOn: boolean;
}

export interface ApplyInput {
  readonly sessionId: string;
  /** The change number this change takes if it changes anything (stored `after_sale_seq` + 1). */
  readonly seq: number;
  readonly facts: AfterSaleFacts;
  readonly settings: AfterSaleSettings;
  readonly amountTotal: number;
  /** The order as the customer knows it (for the access email); undefined before fulfillment. */
  readonly snapshot: OrderSnapshot | undefined;
  /** Fulfilled: the items and their stored access (every item `active` when fulfilled in this transaction). */
  readonly items: ReadonlyMap<string, ItemAccess> | undefined;
  readonly previous: StoredAfterSale;
  /** Stripe's session and line items (products expanded): needed only when a hook runs. */
  readonly order: { readonly session: Stripe.Checkout.Session; readonly lineItems: readonly Stripe.LineItem[] } | undefined;
  readonly now: Date;
  readonly trigger: string;
  readonly eventId: string | null;
  /** The Stripe object of the event (re_…, du_…, ch_…), for the ledger's money rows. */
  readonly objectId: string | null;
  readonly enqueuesAfterCommit: boolean;
}

export interface AppliedChange {
  readonly state: AfterSaleState;
  readonly change: AccessChange;
  /** The order's access after the change: null while not fulfilled. */
  readonly access: OrderAccess | null;
  /** Whether the ledger records anything (money, dispute, access). */
  readonly changed: boolean;
  /** Every write sent (items, ledger, hooks' rows and effects): resolves with the new pending effects. */
  readonly newEffects: Promise<readonly NewEffect[]>;
}

/**
 * Applies Stripe's after-sale state to an order inside its locked transaction: derives the state
 * (domain/after-sale-policy.ts), compares it with what is stored, runs `revoke`/`reinstate` for the items
 * whose access changes, and sends the line items' access, the ledger rows and the hooks' effects without
 * waiting for their answers (the caller updates the session's columns and commits behind them).
 * Returns 'needs_order' when a hook must run and the caller has not read the order from Stripe yet.
 */
export async function applyAfterSale(tx: Tx, pool: postgres.Sql, handlers: readonly FulfillmentHandler[], input: ApplyInput): Promise<AppliedChange | 'needs_order'> {
  const { sessionId, seq, now, previous } = input;
  const fulfilled = input.items !== undefined;
  const state = deriveAfterSale(input.facts, { amountTotal: input.amountTotal, lineItemIds: [...(input.items?.keys() ?? [])] }, input.settings.disputePolicy);
  const change = fulfilled ? accessChange(input.items as ReadonlyMap<string, ItemAccess>, state) : { changed: [], revoke: [], reinstate: [] };
  const access = fulfilled ? state.access : null;
  const hooked = (group: readonly ItemVerdict[], hook: 'revoke' | 'reinstate') => group.length > 0 && handlers.some((h) => h[hook] !== undefined);
  const runsHooks = hooked(change.revoke, 'revoke') || hooked(change.reinstate, 'reinstate');
  if (runsHooks && input.order === undefined) return 'needs_order';

  const at = now.toISOString();
  const base = { session_id: sessionId, seq, event_id: input.eventId, trigger: input.trigger, created_at: at };
  const none = { line_item_id: null, access: null, previous_access: null, amount_refunded: null, refund_state: null, dispute_status: null, stripe_object: null };
  const ledger: Record<string, unknown>[] = [];
  if (state.amountRefunded !== previous.amountRefunded || state.refundState !== previous.refundState) {
    ledger.push({ ...base, ...none, kind: 'refund', amount_refunded: state.amountRefunded, refund_state: state.refundState, stripe_object: input.objectId });
  }
  if (state.disputeStatus !== previous.disputeStatus) {
    ledger.push({ ...base, ...none, kind: 'dispute', dispute_status: state.disputeStatus, stripe_object: state.disputeId });
  }
  for (const c of change.changed) {
    ledger.push({ ...base, ...none, kind: 'access', line_item_id: c.id, access: c.access, previous_access: c.previous, stripe_object: c.cause });
  }

  const db = createHandlerDb(tx, pool);
  const effects: Record<string, unknown>[] = [];
  if (runsHooks && input.order !== undefined) {
    const { session, lineItems } = input.order;
    const effect = (handler: string) => <P>(kind: EffectKind<P>, payload: P, options: EffectOptions = {}) => {
      const target = options.target ?? '';
      const name = (kind as Partial<EffectKind<P>> | undefined)?.name;
      if (typeof name !== 'string' || !EFFECT_KIND_NAME.test(name)) {
        throw new HandlerInputError('invalid_effect', `handler ${handler}: effect kind ${JSON.stringify(name ?? kind)} must be defineEffectKind's, named to match ${EFFECT_KIND_NAME}`);
      }
      if (typeof target !== 'string' || target.length > 2048) throw new HandlerInputError('invalid_effect', `handler ${handler}: effect target must be a string of at most 2048 characters`);
      // The change's number in the key: a reinstatement after a revocation is an effect of its own.
      effects.push(effectRow(sessionId, `change-${seq}${options.lineItemId === undefined ? '' : `-${options.lineItemId}`}`, name, target, payload, options.skipped, now, input.enqueuesAfterCommit));
    };
    const order = () => orderSnapshot(session, lineItems, [], now);
    for (const [hook, group] of [['revoke', change.revoke], ['reinstate', change.reinstate]] as const) {
      if (group.length === 0) continue;
      const byId = new Map(group.map((g) => [g.id, g]));
      const concerned = lineItems.filter((li) => byId.has(li.id));
      for (const handler of handlers) {
        const fn = handler[hook];
        if (fn === undefined) continue;
        const items = matchingItems(handler.takes, concerned);
        if (items === undefined) continue;
        const changeItems = items.map((li) => {
          const c = change.changed.find((x) => x.id === li.id) as AccessChange['changed'][number];
          return { id: c.id, access: c.access, previous: c.previous, cause: c.cause };
        });
        const ctx: AccessChangeContext = { session, lineItems: items, fulfilledAt: now, db, effect: effect(handler.name), note: () => undefined, order, change: { seq, items: changeItems } };
        await fn.call(handler, ctx);
      }
    }
  }

  effects.push(...announcements({ sessionId, seq, now, state, change, access, previous, snapshot: input.snapshot, settings: input.settings, enqueuesAfterCommit: input.enqueuesAfterCommit }));

  const itemsWritten =
    change.changed.length === 0
      ? undefined
      : sent(tx`
          update checkout_line_items c set access = u.access, access_cause = nullif(u.cause, '')
          from unnest(${change.changed.map((c) => c.id)}::text[], ${change.changed.map((c) => c.access)}::text[], ${change.changed.map((c) => c.cause ?? '')}::text[]) as u(id, access, cause)
          where c.session_id = ${sessionId} and c.id = u.id`);
  const ledgerWritten = ledger.length === 0 ? undefined : sent(tx`insert into order_ledger ${tx(ledger)}`);
  const effectsWritten =
    effects.length === 0
      ? undefined
      : sent(tx<{ id: string; kind: string; status: string }[]>`
          insert into fulfillment_effects ${tx(effects)} on conflict on constraint fulfillment_effects_key do nothing returning id, kind, status`);
  const newEffects = (async () => {
    await db.written();
    await itemsWritten;
    await ledgerWritten;
    return ((await effectsWritten) ?? []).filter((r) => r.status === 'pending').map((r) => ({ id: String(r.id), kind: r.kind }));
  })();
  return { state, change, access, changed: ledger.length > 0 || access !== previous.access, newEffects: sent(newEffects) };
}

/** An outbox row as runHandlers writes them (run-handlers.ts), for an effect of an after-sale change. */
export function effectRow(sessionId: string, scope: string, kind: string, target: string, payload: unknown, skipped: string | undefined, now: Date, enqueuesAfterCommit: boolean) {
  const at = now.toISOString();
  return {
    session_id: sessionId,
    scope,
    kind,
    target,
    payload: JSON.stringify(payload ?? null),
    status: skipped === undefined ? 'pending' : 'skipped',
    last_code: skipped === undefined ? null : 'skipped_by_handler',
    last_error: skipped ?? null,
    next_attempt_at: at,
    enqueued_at: enqueuesAfterCommit ? at : null,
    sweep_at: enqueuesAfterCommit ? new Date(now.getTime() + JOB_GRACE_MS).toISOString() : at,
    created_at: at,
    finished_at: skipped === undefined ? null : at,
  };
}
