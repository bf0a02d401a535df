import type { FastifyInstance } from 'fastify';
import { accountOf } from './session-routes.js';
import type { EmulatorStore } from './store.js';

/**
 * `GET /v1/payment_intents/:id` (https://docs.stripe.com/api/payment_intents/retrieve): where a complete,
 * unpaid session's delayed payment shows whether it failed (`requires_payment_method`), is still
 * `processing`, or `succeeded`.
 */
export async function paymentIntentRoutes(api: FastifyInstance, deps: { store: EmulatorStore }): Promise<void> {
  api.get<{ Params: { id: string } }>('/v1/payment_intents/:id', async (req) => deps.store.paymentIntent(req.params.id, accountOf(req)));
}
