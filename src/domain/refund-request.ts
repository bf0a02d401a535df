import { createHash } from 'node:crypto';

/** Stripe's refund reasons (https://docs.stripe.com/api/refunds/create#create_refund-reason). */
export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** What an operator asked for, as typed (`refund <session> [--amount N] [--items li_…,li_…] [--reason …]`). */
export interface RefundArgs {
  readonly amount?: string | undefined;
  readonly items?: string | undefined;
  readonly reason?: string | undefined;
}

/** The order as Postgres holds it: what can still be refunded, and its line items. */
export interface RefundableOrder {
  readonly sessionId: string;
  readonly paymentIntent: string | null;
  readonly amountTotal: number | null;
  readonly amountRefunded: number;
  /** `cause`: the refund or dispute that took the item back, if one did. */
  readonly lineItems: readonly { readonly id: string; readonly amountTotal: number; readonly access: string; readonly cause: string | null }[];
}

export interface RefundPlan {
  readonly paymentIntent: string;
  readonly amount: number;
  readonly lineItems: readonly string[];
  readonly reason: RefundReason | undefined;
  /**
   * The same request gives the same key: a command retried after a timeout (or run twice) is one refund,
   * as Stripe answers a repeated key with the first request's result (https://docs.stripe.com/api/idempotent_requests).
   */
  readonly idempotencyKey: string;
}

export class RefundArgsError extends Error {}

/**
 * Checks an operator's refund against the order before anything is sent to Stripe, and fills in the amount:
 * the named line items' total, or what is left to refund. An item already taken back, an item of another
 * order, or more than what is left is refused with the reason, so a typo never becomes a refund.
 */
export function planRefund(order: RefundableOrder, args: RefundArgs): RefundPlan {
  if (order.paymentIntent === null || order.amountTotal === null) throw new RefundArgsError(`${order.sessionId} has no payment recorded: nothing to refund`);
  const left = order.amountTotal - order.amountRefunded;
  const reason = parseReason(args.reason);
  const items = parseItems(args.items, order);
  const amount = args.amount === undefined ? (items.length > 0 ? sumOf(items, order) : left) : parseAmount(args.amount);
  if (left <= 0) throw new RefundArgsError(`${order.sessionId} is refunded in full already`);
  if (amount > left) throw new RefundArgsError(`--amount ${amount} is more than what is left to refund (${left} of ${order.amountTotal})`);
  const lineItems = [...items].sort();
  const request = JSON.stringify([order.sessionId, amount, lineItems, reason ?? null]);
  const idempotencyKey = `refund-cli-${createHash('sha256').update(request).digest('hex').slice(0, 32)}`;
  return { paymentIntent: order.paymentIntent, amount, lineItems, reason, idempotencyKey };
}

function parseAmount(raw: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new RefundArgsError(`--amount must be a positive whole number of minor units (1250 for $12.50), got ${JSON.stringify(raw)}`);
  return n;
}

function parseReason(raw: string | undefined): RefundReason | undefined {
  if (raw === undefined) return undefined;
  if (!(REFUND_REASONS as readonly string[]).includes(raw)) throw new RefundArgsError(`--reason must be one of ${REFUND_REASONS.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as RefundReason;
}

function parseItems(raw: string | undefined, order: RefundableOrder): string[] {
  if (raw === undefined) return [];
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.some((id) => !/^li_[A-Za-z0-9]{1,250}$/.test(id))) throw new RefundArgsError(`--items must be line item ids separated by commas (li_…,li_…), got ${JSON.stringify(raw)}`);
  if (new Set(ids).size !== ids.length) throw new RefundArgsError(`--items names a line item twice: ${raw}`);
  for (const id of ids) {
    const item = order.lineItems.find((i) => i.id === id);
    if (item === undefined) throw new RefundArgsError(`${id} is not a line item of ${order.sessionId} (its items: ${order.lineItems.map((i) => i.id).join(', ') || 'none recorded'})`);
    // Most often the same command run again after its refund was applied: say which refund took it back.
    if (item.access === 'revoked') throw new RefundArgsError(`${id} is revoked already${item.cause === null ? '' : ` (by ${item.cause})`}`);
  }
  // Stripe's metadata values hold 500 characters.
  if (ids.join(',').length > 500) throw new RefundArgsError('--items names more line items than a refund\'s metadata holds (500 characters): refund them in several commands');
  return ids;
}

function sumOf(items: readonly string[], order: RefundableOrder): number {
  return items.reduce((sum, id) => sum + (order.lineItems.find((i) => i.id === id)?.amountTotal ?? 0), 0);
}
