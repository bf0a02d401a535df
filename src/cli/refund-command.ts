import { RefundArgsError } from '../domain/refund-request.js';
import { NoSuchOrder, refundOrder } from '../db/order-refund.js';
import { createStripeClient } from '../stripe/client.js';
import { Exit, type CliContext } from './cli-context.js';
import { cliActor } from './order-commands.js';
import { printErr, printOut } from './output.js';
import { stripeFailure } from './stripe-failure.js';

/**
 * `refund <session_id> [--amount N] [--items li_…,li_…] [--reason …]`: the operators' refund (db/order-refund.ts,
 * the order desk's too): checked, created in Stripe with the line items in its metadata and an idempotency key
 * derived from the request, and written into the order's story with the OS user. The order changes when
 * Stripe's events come back, through the same after-sale run as a Dashboard refund.
 */
export async function refund(ctx: CliContext, sessionId: string): Promise<void> {
  const { config, loaded, values } = ctx;
  const { secretKey, apiBase, maxNetworkRetries } = config.stripe;
  if (secretKey === undefined) throw new Exit(2, 'STRIPE_SECRET_KEY is needed to create the refund');
  const stripe = createStripeClient({ secretKey, apiBase, maxNetworkRetries });
  const { sql } = await ctx.db();
  let done;
  try {
    done = await refundOrder(sql, stripe, sessionId, { amount: values.amount, items: values.items, reason: values.reason }, cliActor());
  } catch (err) {
    if (err instanceof NoSuchOrder) throw new Exit(1, err.message);
    if (err instanceof RefundArgsError) throw new Exit(2, err.message);
    throw stripeFailure(err, loaded);
  }
  const { refund: created, plan, replayed } = done;
  if (replayed) printErr(`this request was sent before (idempotency key ${plan.idempotencyKey}): Stripe answered with the refund it made then\n`);
  const { id, amount, status, currency } = created;
  printOut(`${JSON.stringify({ refund: id, session_id: sessionId, payment_intent: plan.paymentIntent, amount, currency, status, line_items: plan.lineItems, idempotency_key: plan.idempotencyKey, replayed })}\n`);
}
