/**
 * After the sale: what an order's refunds and disputes, as Stripe has them now, leave the customer with.
 * A pure function of Stripe's current objects (never of the events that announced them), so late, doubled
 * and reordered events cannot move an order backwards: any number of runs over the same state agree.
 * https://docs.stripe.com/api/refunds/object, https://docs.stripe.com/api/disputes/object
 */

/** `DISPUTE_POLICY`: what an open dispute (`needs_response`, `under_review`) does to the order's items. */
export const DISPUTE_POLICIES = ['suspend', 'revoke', 'ignore'] as const;
export type DisputePolicy = (typeof DISPUTE_POLICIES)[number];

export const ACCESS_STATES = ['active', 'suspended', 'revoked'] as const;
/** One line item's access. */
export type ItemAccess = (typeof ACCESS_STATES)[number];
/** The order's access, summed over its items (null in storage before fulfillment). */
export type OrderAccess = ItemAccess | 'partially_revoked';
export type RefundState = 'none' | 'partial' | 'full';

/** A Refund reduced to what the policy reads (status: pending|requires_action|succeeded|failed|canceled). */
export interface RefundFact {
  readonly id: string;
  readonly amount: number;
  readonly status: string;
  readonly created: number;
  /** metadata `line_items` split on commas: the line items this (partial) refund takes back. */
  readonly lineItems: readonly string[];
}

/** A Dispute reduced to what the policy reads. */
export interface DisputeFact {
  readonly id: string;
  readonly status: string;
  readonly created: number;
}

/** Everything the policy reads from Stripe about one PaymentIntent. */
export interface AfterSaleFacts {
  readonly refunds: readonly RefundFact[];
  readonly disputes: readonly DisputeFact[];
}

export interface ItemVerdict {
  readonly id: string;
  readonly access: ItemAccess;
  /** The Stripe object that took it back (re_…, du_…), or null while active. */
  readonly cause: string | null;
}

export interface AfterSaleState {
  readonly amountRefunded: number;
  readonly refundState: RefundState;
  /** The latest dispute's status, or null without one. */
  readonly disputeStatus: string | null;
  readonly disputeId: string | null;
  readonly access: OrderAccess;
  readonly items: readonly ItemVerdict[];
}

/** Stripe counts these in `charge.amount_refunded`: money that is gone or going back. */
const COUNTED = new Set(['succeeded', 'pending']);
const OPEN = new Set(['needs_response', 'under_review']);

/** `line_items` metadata (`li_a,li_b`): trimmed, empty parts dropped. */
export function lineItemsOf(metadata: Record<string, string> | null | undefined): string[] {
  const raw = metadata?.line_items;
  if (typeof raw !== 'string') return [];
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Same id twice (a list page read twice): kept once. The state is a set, not a history. */
function byId<T extends { id: string }>(xs: readonly T[]): T[] {
  const map = new Map<string, T>();
  for (const x of xs) map.set(x.id, x);
  return [...map.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The policy (README, "After the sale"):
 * - amount refunded = refunds `succeeded` or `pending`; at least the order's total is a full refund, which
 *   revokes every item; a partial refund revokes the items its metadata `line_items` names, else none;
 * - the latest dispute decides: open suspends every item (`suspend`), revokes it (`revoke`) or does nothing
 *   (`ignore`); `lost` revokes every item; `won`, `warning_*` and the rest change nothing;
 * - a refund that failed or was canceled counts for nothing, so what it took back comes back.
 */
export function deriveAfterSale(facts: AfterSaleFacts, order: { amountTotal: number; lineItemIds: readonly string[] }, policy: DisputePolicy): AfterSaleState {
  const counted = byId(facts.refunds).filter((r) => COUNTED.has(r.status));
  const amountRefunded = counted.reduce((sum, r) => sum + r.amount, 0);
  const refundState: RefundState = amountRefunded <= 0 ? 'none' : amountRefunded >= order.amountTotal ? 'full' : 'partial';
  const latest = byId(facts.disputes).reduce<DisputeFact | undefined>((a, d) => (a === undefined || d.created > a.created || (d.created === a.created && d.id > a.id) ? d : a), undefined);
  const disputeStatus = latest?.status ?? null;

  // The refund that crossed the total (by creation, then id): the cause named for a full refund.
  const ordered = [...counted].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  let running = 0;
  const fullCause = ordered.find((r) => (running += r.amount) >= order.amountTotal)?.id ?? null;
  const disputeRevokes = latest !== undefined && (latest.status === 'lost' || (OPEN.has(latest.status) && policy === 'revoke'));
  const disputeSuspends = latest !== undefined && OPEN.has(latest.status) && policy === 'suspend';

  const items = order.lineItemIds.map((id): ItemVerdict => {
    if (refundState === 'full') return { id, access: 'revoked', cause: fullCause };
    const refund = ordered.find((r) => r.lineItems.includes(id));
    if (refund !== undefined) return { id, access: 'revoked', cause: refund.id };
    if (disputeRevokes) return { id, access: 'revoked', cause: latest.id };
    if (disputeSuspends) return { id, access: 'suspended', cause: latest.id };
    return { id, access: 'active', cause: null };
  });
  const access = orderAccess(items.map((i) => i.access), refundState === 'full' || disputeRevokes ? 'revoked' : disputeSuspends ? 'suspended' : 'active');
  return { amountRefunded, refundState, disputeStatus, disputeId: latest?.id ?? null, access, items };
}

/** The order's access from its items'; `whenEmpty` for an order without line items. */
export function orderAccess(items: readonly ItemAccess[], whenEmpty: ItemAccess): OrderAccess {
  if (items.length === 0) return whenEmpty;
  if (items.every((a) => a === 'revoked')) return 'revoked';
  if (items.some((a) => a === 'suspended')) return 'suspended';
  if (items.some((a) => a === 'revoked')) return 'partially_revoked';
  return 'active';
}
