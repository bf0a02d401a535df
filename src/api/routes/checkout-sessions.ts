import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import { findSessionView } from '../../db/session-view.js';
import { isSessionId } from '../../domain/session-id.js';

export interface CheckoutSessionRouteOptions {
  readonly db: Db;
  readonly rateLimitPerMinute: number;
}

/** `GET /api/checkout-sessions/:id`: the fulfillment record of one session, from Postgres only. */
export async function checkoutSessionRoutes(app: FastifyInstance, opts: CheckoutSessionRouteOptions): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/api/checkout-sessions/:id',
    {
      config: { rateLimit: { max: opts.rateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isSessionId(id)) {
        return reply.code(400).send({
          error: 'invalid_session_id',
          message: 'session id must be a Checkout Session id: cs_test_… or cs_live_… followed by letters and digits',
        });
      }
      const view = await findSessionView(opts.db, id);
      if (view === undefined) return reply.code(404).send({ error: 'not_found' });
      return view;
    },
  );
}
