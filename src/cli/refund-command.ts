import { refundableOrder } from '../db/order-ledger.js';
import { planRefund, RefundArgsError } from '../domain/refund-request.js';
import { createStripeClient } from '../stripe/client.js';
import { Exit, type CliContext } from './cli-context.js';
import { printErr, printOut } from './output.js';
import { stripeFailure } from './stripe-failure.js';

/**
 * `refund <session_id> [--amount N] [--items li_…,li_…] [--reason …]`: creates the refund in Stripe, on the
 * session's account, with the named line items in its metadata (`line_items`: the policy revokes exactly
 * those) and an idempotency key derived from the request, so that a command retried after a timeout refunds
 * once. The order changes when Stripe's events come back, through the same after-sale run as a Dashboard
 * refund: this command records nothing itself.
 */
export async function refund(ctx: CliContext, sessionId: string): Promise<void> {
  const { config, loaded, values } = ctx;
  const { secretKey, apiBase, maxNetworkRetries } = config.stripe;
  if (secretKey === undefined) throw new Exit(2, 'STRIPE_SECRET_KEY is needed to create the refund');
  const order = await refundableOrder((await ctx.db()).sql, sessionId);
  if (order === undefined) throw new Exit(1, `no record of ${sessionId}`);
  let plan;
  try {
    plan = planRefund(order, { amount: values.amount, items: values.items, reason: values.reason });
  } catch (err) {
    if (err instanceof RefundArgsError) throw new Exit(2, err.message);
    throw err;
  }
  const stripe = createStripeClient({ secretKey, apiBase, maxNetworkRetries });
  try {
    const created = await stripe.refunds.create(
      {
        payment_intent: plan.paymentIntent,
        amount: plan.amount,
        ...(plan.reason === undefined ? {} : { reason: plan.reason }),
        ...(plan.lineItems.length === 0 ? {} : { metadata: { line_items: plan.lineItems.join(',') } }),
      },
      { idempotencyKey: plan.idempotencyKey, ...(order.account === null ? {} : { stripeAccount: order.account }) },
    );
    const replayed = created.lastResponse.headers['idempotent-replayed'] === 'true';
    if (replayed) printErr(`this request was sent before (idempotency key ${plan.idempotencyKey}): Stripe answered with the refund it made then\n`);
    const { id, amount, status, currency } = created;
    printOut(`${JSON.stringify({ refund: id, session_id: sessionId, payment_intent: plan.paymentIntent, amount, currency, status, line_items: plan.lineItems, idempotency_key: plan.idempotencyKey, replayed })}\n`);
  } catch (err) {
    throw stripeFailure(err, loaded);
  }
}
