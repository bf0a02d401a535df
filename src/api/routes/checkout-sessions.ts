import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import { findSessionView, type SessionView } from '../../db/session-view.js';
import { isSessionId } from '../../domain/session-id.js';

export interface CheckoutSessionRouteOptions {
  readonly db: Db;
  readonly rateLimitPerMinute: number;
}

/**
 * `GET /api/checkout-sessions/:id`: the fulfillment state of one session, from Postgres only, for the
 * order page's poller. Anyone holding the id may ask, so it carries no personal data (no email, name,
 * address or access code), and no cache keeps it.
 */
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
      reply.header('cache-control', 'no-store');
      const { id } = request.params;
      if (!isSessionId(id)) {
        return reply.code(400).send({
          error: 'invalid_session_id',
          message: 'session id must be a Checkout Session id: cs_test_… or cs_live_… followed by letters and digits',
        });
      }
      const view = await findSessionView(opts.db, id);
      if (view === undefined) return reply.code(404).send({ error: 'not_found' });
      return publicView(view);
    },
  );
}

/** What the status API shows: state, the first line items, their count and totals; an allow-list, so new columns stay private. */
function publicView(view: SessionView) {
  return {
    session_id: view.session_id,
    status: view.status,
    payment_status: view.payment_status,
    fulfilled_at: view.fulfilled_at,
    amount_total: view.amount_total,
    currency: view.currency,
    amount_refunded: view.amount_refunded,
    refund_state: view.refund_state,
    dispute_status: view.dispute_status,
    access: view.access,
    // The first 100 line items (db/session-view.ts) and how many there are in all.
    line_item_count: view.line_item_count,
    line_items: view.line_items.map((i) => ({
      id: i.id,
      price: i.price,
      product: i.product,
      description: i.description,
      quantity: i.quantity,
      unit_amount: i.unit_amount,
      amount_total: i.amount_total,
      currency: i.currency,
      access: i.access,
    })),
  };
}
