import type { FastifyReply, FastifyRequest } from 'fastify';
import type postgres from 'postgres';
import type Stripe from 'stripe';
import type { Actor } from '../../db/order-actions.js';
import { NoSuchOrder, refundOrder } from '../../db/order-refund.js';
import { RefundArgsError } from '../../domain/refund-request.js';
import { isPermanentStripeError } from '../../stripe/errors.js';

/**
 * The refund form: the whole order (what is left) or the checked line items, with an optional reason, through
 * the CLI's `refund` path (db/order-refund.ts: the same checks, idempotency key and story entry). Refused
 * input is a 400 with the reason, Stripe refusing a 402, nothing made either way. `json`: the caller's
 * `Accept: application/json` (an answer instead of the redirect).
 */
export async function deskRefund(opts: { readonly sql: postgres.Sql; readonly stripe: Stripe }, request: FastifyRequest, reply: FastifyReply, sessionId: string, body: Record<string, unknown>, json: boolean) {
  const scope = body.scope;
  if (scope !== 'whole' && scope !== 'items') return reply.code(400).send({ error: 'bad_request', message: 'scope must be whole (what is left) or items (the checked line items)' });
  const raw = body.items;
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (items.some((i) => typeof i !== 'string')) return reply.code(400).send({ error: 'bad_request', message: 'items must be line item ids' });
  if (scope === 'items' && items.length === 0) return reply.code(400).send({ error: 'bad_request', message: 'check the line items to refund, or refund the whole order' });
  if (scope === 'whole' && items.length > 0) return reply.code(400).send({ error: 'bad_request', message: 'a refund of the whole order names no line items: uncheck them, or refund the checked items' });
  const reason = typeof body.reason === 'string' && body.reason !== '' ? body.reason : undefined;
  const actor: Actor = { name: request.operator ?? 'unknown', via: 'desk' };
  try {
    const done = await refundOrder(opts.sql, opts.stripe, sessionId, { items: items.length === 0 ? undefined : (items as string[]).join(','), reason }, actor);
    const result = done.replayed ? 'replayed' : (done.refund.status ?? 'created');
    request.log.info({ sessionId, action: 'refund', refund: done.refund.id, amount: done.plan.amount, lineItems: done.plan.lineItems, operator: actor.name, replayed: done.replayed }, 'order desk refund');
    if (json) return reply.send({ action: 'refund', result, refund: done.refund.id, amount: done.plan.amount, lineItems: done.plan.lineItems });
    return reply.redirect(`/admin/orders/${encodeURIComponent(sessionId)}?done=refund&result=${encodeURIComponent(result)}`, 303);
  } catch (err) {
    if (err instanceof NoSuchOrder) return reply.code(404).send({ error: 'not_found', message: err.message });
    // The CLI's words (--items, --reason): the form's fields carry the same names.
    if (err instanceof RefundArgsError) return reply.code(400).send({ error: 'bad_refund', message: err.message });
    if (isPermanentStripeError(err)) return reply.code(402).send({ error: 'stripe_refused', message: `Stripe refused: ${(err as Error).message}` });
    // Not answered (after the SDK's own retries): whether Stripe made it is unknown; the same form sent again
    // carries the same idempotency key, so it is made once either way.
    if ((err as { type?: string }).type === 'StripeConnectionError') {
      request.log.warn({ sessionId, err: (err as Error).message }, 'order desk refund: Stripe did not answer');
      return reply.code(502).send({ error: 'stripe_unreachable', message: 'Stripe did not answer: send the same refund again (it is made once)' });
    }
    throw err;
  }
}
