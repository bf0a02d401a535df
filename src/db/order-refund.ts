import type postgres from 'postgres';
import type Stripe from 'stripe';
import type { Actor } from './order-actions.js';
import { insertHistory } from './order-history.js';
import { refundableOrder } from './order-ledger.js';
import type { ActionEntry } from '../domain/order-history.js';
import { planRefund, type RefundArgs, type RefundPlan } from '../domain/refund-request.js';

/** The order is not stored: nothing to refund (the CLI exits 1, the desk answers 404). */
export class NoSuchOrder extends Error {}

export interface RefundDone {
  readonly refund: Stripe.Refund;
  readonly plan: RefundPlan;
  /** Stripe answered a key it had seen with the refund it made then. */
  readonly replayed: boolean;
}

/**
 * An operator's refund, the one path of the CLI's `refund` and the order desk's: checked against the order
 * (planRefund: a typo never becomes a refund; RefundArgsError says why), created in Stripe on the session's
 * account with the named line items in its metadata (`line_items`: the policy revokes exactly those) and an
 * idempotency key derived from the request (the same request from the CLI or the desk, retried after a
 * timeout, is one refund), then written into the order's story with who asked. The order itself changes when
 * Stripe's refund events come back, through the same after-sale run as a Dashboard refund. Stripe's errors
 * are thrown as they are: each caller says them its own way. Here, beside the desk's other actions
 * (order-actions.ts), because both the api and the CLI import src/db; the client is the caller's (the api's,
 * paced as its others are; the CLI's own), only its `refunds` is used.
 */
export async function refundOrder(sql: postgres.Sql, stripe: Pick<Stripe, 'refunds'>, sessionId: string, args: RefundArgs, actor: Actor): Promise<RefundDone> {
  const order = await refundableOrder(sql, sessionId);
  if (order === undefined) throw new NoSuchOrder(`no record of ${sessionId}`);
  const plan = planRefund(order, args);
  const refund = await stripe.refunds.create(
    {
      payment_intent: plan.paymentIntent,
      amount: plan.amount,
      ...(plan.reason === undefined ? {} : { reason: plan.reason }),
      ...(plan.lineItems.length === 0 ? {} : { metadata: { line_items: plan.lineItems.join(',') } }),
    },
    { idempotencyKey: plan.idempotencyKey, ...(order.account === null ? {} : { stripeAccount: order.account }) },
  );
  const replayed = refund.lastResponse.headers['idempotent-replayed'] === 'true';
  // Written after Stripe answered (no transaction spans a network call); a replay is told as one.
  const entry: ActionEntry = {
    kind: 'action',
    action: 'refund',
    result: replayed ? 'replayed' : refund.status ?? 'created',
    via: actor.via,
    refundId: refund.id,
    amount: plan.amount,
    ...(plan.lineItems.length === 0 ? {} : { lineItems: plan.lineItems }),
    ...(plan.reason === undefined ? {} : { reason: plan.reason }),
  };
  await insertHistory(sql, [{ sessionId, actor: actor.name, detail: entry }]);
  return { refund, plan, replayed };
}
