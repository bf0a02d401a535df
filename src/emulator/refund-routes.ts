import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { page, parseCreated, parseLimit, parseString, ParamError } from './list-params.js';
import type { RefundBook, RefundParams } from './refund-book.js';
import { accountOf } from './session-routes.js';
import type { WebhookSender } from './webhook-sender.js';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
/** Parameters of `POST /v1/refunds` the emulator reads; Stripe's others are accepted and ignored. */
const KNOWN = new Set(['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand', 'instructions_email', 'origin', 'refund_application_fee', 'reverse_transfer', 'customer']);

/**
 * `/v1/refunds` (create, retrieve, list by `payment_intent`, `charge`, `created`) and `GET /v1/charges/:id`.
 * A new refund's events (`refund.created`, then `charge.refunded`) are sent in that order after the answer.
 */
export async function refundRoutes(api: FastifyInstance, deps: { refunds: RefundBook; webhooks: WebhookSender }): Promise<void> {
  const { refunds, webhooks } = deps;

  api.post('/v1/refunds', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    const created = refunds.create(parseRefundParams(req.body), accountOf(req), typeof key === 'string' && key.length > 0 ? key : undefined);
    if (created.replayed) reply.header('idempotent-replayed', 'true');
    void webhooks.sendInOrder(created.events);
    return created.refund;
  });

  api.get<{ Params: { id: string } }>('/v1/refunds/:id', async (req) => refunds.get(req.params.id, accountOf(req)));

  /** https://docs.stripe.com/api/refunds/list */
  api.get('/v1/refunds', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = parseLimit(q.limit);
    const all = refunds.list({
      account: accountOf(req),
      paymentIntent: parseString(q.payment_intent, 'payment_intent'),
      charge: parseString(q.charge, 'charge'),
      created: parseCreated(q.created),
    });
    return page(all, limit, q.starting_after, '/v1/refunds');
  });

  api.get<{ Params: { id: string } }>('/v1/charges/:id', async (req) => refunds.charge(req.params.id, accountOf(req)));
}

function parseRefundParams(raw: unknown): RefundParams {
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const name of Object.keys(body)) if (!KNOWN.has(name)) throw new ParamError(`Received unknown parameter: ${name}`, name);
  let amount: number | undefined;
  if (body.amount !== undefined) {
    amount = typeof body.amount === 'string' && /^\d+$/.test(body.amount) ? Number(body.amount) : Number.NaN;
    if (!Number.isSafeInteger(amount) || amount < 1) throw new ParamError(`Invalid positive integer: ${String(body.amount)}`, 'amount');
  }
  const reason = parseString(body.reason, 'reason');
  if (reason !== undefined && !(REASONS as readonly string[]).includes(reason)) throw new ParamError(`Invalid reason: must be one of ${REASONS.join(', ')}`, 'reason');
  return {
    paymentIntent: parseString(body.payment_intent, 'payment_intent'),
    charge: parseString(body.charge, 'charge'),
    amount,
    reason: reason as Stripe.Refund.Reason | undefined,
    metadata: parseMetadata(body.metadata),
  };
}

/** `metadata[key]=value`: a hash of strings (an empty string, as `metadata=`, clears it: none here). */
export function parseMetadata(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ParamError('Invalid metadata: must be a hash', 'metadata');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new ParamError(`Invalid metadata[${k}]: must be a string`, `metadata[${k}]`);
    if (k.length > 40 || v.length > 500) throw new ParamError(`metadata[${k}]: keys up to 40 characters, values up to 500`, `metadata[${k}]`);
    out[k] = v;
  }
  return out;
}
