import type { FastifyInstance } from 'fastify';
import { page, parseLimit, toArray, ParamError } from './list-params.js';
import { accountOf } from './session-routes.js';
import { NotFound, type EmulatorStore } from './store.js';

/**
 * `GET /v1/products` (with `ids[]`, https://docs.stripe.com/api/products/list) and `GET /v1/products/:id`:
 * how a client reads product metadata that a session list cannot expand (5 levels deep).
 */
export async function productRoutes(api: FastifyInstance, deps: { store: EmulatorStore }): Promise<void> {
  const { store } = deps;

  api.get('/v1/products', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = parseLimit(q.limit);
    const ids = q.ids === undefined ? undefined : toArray(q.ids);
    // Stripe: "Only return products with the given IDs. Cannot be used with starting_after or ending_before."
    if (ids !== undefined && q.starting_after !== undefined) throw new ParamError('ids cannot be used with starting_after', 'ids');
    return page(store.listProducts(accountOf(req), ids), limit, q.starting_after, '/v1/products');
  });

  api.get<{ Params: { id: string } }>('/v1/products/:id', async (req) => {
    const product = store.product(req.params.id, accountOf(req));
    if (product === undefined) throw new NotFound(`No such product: '${req.params.id}'`);
    return product;
  });
}
