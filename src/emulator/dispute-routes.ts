import type { FastifyInstance } from 'fastify';
import type { DisputeBook } from './dispute-book.js';
import { page, parseCreated, parseLimit, parseString } from './list-params.js';
import { accountOf } from './session-routes.js';

/**
 * `GET /v1/disputes/:id` and `GET /v1/disputes` (by `payment_intent`, `charge`, `created`:
 * https://docs.stripe.com/api/disputes/list). Disputes are opened and moved by the control routes, as a card
 * network would; the merchant's own actions on them (evidence, close) are not emulated.
 */
export async function disputeRoutes(api: FastifyInstance, deps: { disputes: DisputeBook }): Promise<void> {
  const { disputes } = deps;

  api.get<{ Params: { id: string } }>('/v1/disputes/:id', async (req) => disputes.get(req.params.id, accountOf(req)));

  api.get('/v1/disputes', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = parseLimit(q.limit);
    const all = disputes.list({
      account: accountOf(req),
      paymentIntent: parseString(q.payment_intent, 'payment_intent'),
      charge: parseString(q.charge, 'charge'),
      created: parseCreated(q.created),
    });
    return page(all, limit, q.starting_after, '/v1/disputes');
  });
}
