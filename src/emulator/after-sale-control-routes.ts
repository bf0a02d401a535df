import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { DisputeBook } from './dispute-book.js';
import type { RefundBook } from './refund-book.js';
import { InvalidState, NotFound, type EmulatorStore } from './store.js';
import { StripeRequestError } from './stripe-error.js';
import type { WebhookSender } from './webhook-sender.js';

export interface AfterSaleControlDeps {
  readonly store: EmulatorStore;
  readonly refunds: RefundBook;
  readonly disputes: DisputeBook;
  readonly webhooks: WebhookSender;
}

/** Form posts (the control page) send strings; JSON callers send booleans and numbers. Both are accepted. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional();
const minor = z.coerce.number().int().min(1).optional();
/** Where the control page wants to go back to after a form post (only the page itself). */
const returnTo = z.string().regex(/^\/_emulator(\/[\w/-]*)?$/).optional();
const ids = z.union([z.array(z.string()), z.string()]).transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));

const REFUND = z.object({
  session: z.string().optional(),
  payment_intent: z.string().optional(),
  charge: z.string().optional(),
  amount: minor.or(z.literal('').transform(() => undefined)),
  line_items: ids.optional(),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  send: flag,
  return_to: returnTo,
});
const REFUND_STATUS = z.object({ status: z.enum(['succeeded', 'failed', 'canceled']), failure_reason: z.string().min(1).optional(), send: flag, return_to: returnTo });
const DISPUTE = z.object({
  session: z.string().optional(),
  payment_intent: z.string().optional(),
  charge: z.string().optional(),
  status: z.enum(['needs_response', 'warning_needs_response']).optional(),
  amount: minor,
  reason: z.string().min(1).optional(),
  send: flag,
  return_to: returnTo,
});
const DISPUTE_STATUS = z.object({
  status: z.enum(['under_review', 'warning_under_review', 'needs_response', 'won', 'lost', 'warning_closed']),
  send: flag,
  return_to: returnTo,
});

/**
 * `/_emulator/refunds…` and `/_emulator/disputes…`: what the merchant does in the Dashboard (refund, by line
 * items too: metadata `line_items` is the merchant's convention of issue 19) and what happens later outside
 * anyone's control (a refund fails on an expired card; a cardholder disputes; the bank decides).
 * Each answers `{ object, events }` and sends the events in order unless `send` is false.
 */
export async function afterSaleControlRoutes(app: FastifyInstance, deps: AfterSaleControlDeps): Promise<void> {
  const { store, refunds, disputes, webhooks } = deps;

  app.post('/_emulator/refunds', async (req, reply) =>
    act(req, reply, REFUND, (b) => {
      const target = paymentOf(store, b);
      const items = b.line_items ?? [];
      const lineItems = target.session === undefined ? [] : (store.peek(target.session)?.lineItems ?? []);
      const chosen = items.map((id) => lineItems.find((li) => li.id === id) ?? missing(`No such line item on this session: '${id}'`));
      const amount = b.amount ?? (chosen.length > 0 ? chosen.reduce((sum, li) => sum + li.amount_total, 0) : undefined);
      const metadata = items.length > 0 ? { line_items: items.join(',') } : undefined;
      const { refund, events } = refunds.create({ paymentIntent: target.paymentIntent, charge: target.charge, amount, reason: b.reason, metadata }, target.account);
      return { object: refund, events };
    }),
  );

  app.post<{ Params: { id: string } }>('/_emulator/refunds/:id/status', async (req, reply) =>
    act(req, reply, REFUND_STATUS, (b) => {
      const { refund, events } = refunds.move(req.params.id, b.status, b.failure_reason);
      return { object: refund, events };
    }),
  );

  app.post('/_emulator/disputes', async (req, reply) =>
    act(req, reply, DISPUTE, (b) => {
      const target = paymentOf(store, b);
      const { dispute, events } = disputes.open(target.charge ?? (target.paymentIntent as string), {
        ...(b.status === undefined ? {} : { status: b.status }),
        ...(b.amount === undefined ? {} : { amount: b.amount }),
        ...(b.reason === undefined ? {} : { reason: b.reason }),
      });
      return { object: dispute, events };
    }),
  );

  app.post<{ Params: { id: string } }>('/_emulator/disputes/:id/status', async (req, reply) =>
    act(req, reply, DISPUTE_STATUS, (b) => {
      const { dispute, events } = disputes.move(req.params.id, b.status);
      return { object: dispute, events };
    }),
  );

  /** Parses the body, runs the action, sends its events; answers JSON, or back to the control page for a form. */
  async function act<S extends z.ZodType<{ send?: boolean | undefined; return_to?: string | undefined }>>(
    req: FastifyRequest,
    reply: FastifyReply,
    schema: S,
    run: (body: z.infer<S>) => { object: Stripe.Refund | Stripe.Dispute; events: Stripe.Event[] },
  ) {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const back = parsed.data.return_to;
    try {
      const result = run(parsed.data);
      if (parsed.data.send !== false) void webhooks.sendInOrder(result.events);
      if (back !== undefined) return reply.redirect(`${back}?notice=${encodeURIComponent(`${result.object.id} is ${String(result.object.status)}`)}`, 303);
      return result;
    } catch (err) {
      if (!(err instanceof NotFound || err instanceof InvalidState || err instanceof StripeRequestError)) throw err;
      if (back !== undefined) return reply.redirect(`${back}?error=${encodeURIComponent(err.message)}`, 303);
      return reply.code(err instanceof NotFound ? 404 : 400).send({ error: err.message });
    }
  }
}

/** The payment a control request names: by session, PaymentIntent or charge, with the account that owns it. */
function paymentOf(store: EmulatorStore, b: { session?: string | undefined; payment_intent?: string | undefined; charge?: string | undefined }) {
  if (b.session !== undefined) {
    const s = store.peek(b.session) ?? missing(`No such checkout.session: '${b.session}'`);
    const pi = s.session.payment_intent;
    if (typeof pi !== 'string') throw new InvalidState(`session ${b.session} has no payment`);
    return { session: b.session, paymentIntent: pi, charge: undefined, account: s.account };
  }
  if (b.payment_intent !== undefined) {
    const pi = store.peekPaymentIntent(b.payment_intent) ?? missing(`No such payment_intent: '${b.payment_intent}'`);
    return { session: undefined, paymentIntent: b.payment_intent, charge: undefined, account: pi.account };
  }
  if (b.charge !== undefined) {
    const ch = store.peekCharge(b.charge) ?? missing(`No such charge: '${b.charge}'`);
    return { session: undefined, paymentIntent: undefined, charge: b.charge, account: ch.account };
  }
  throw new InvalidState('name the payment: session, payment_intent or charge');
}

function missing(message: string): never {
  throw new NotFound(message);
}
