import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../../db/client.js';
import { findOrderDetails } from '../../db/order-details.js';
import { findSessionView, type SessionView } from '../../db/session-view.js';
import { isSessionId } from '../../domain/session-id.js';
import { isFinal } from '../../domain/session-status.js';
import { enqueueLanding, type FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import { failureCodeOf } from '../../queue/job-failure.js';
import { waitForJob } from '../../queue/wait-for-job.js';
import { sendHtml, type SafeHtml } from '../views/html.js';
import {
  awaitingPaymentPage,
  expiredPage,
  fulfilledPage,
  malformedPage,
  notFoundPage,
  paymentFailedPage,
  stillWorkingPage,
} from '../views/landing-pages.js';

export interface LandingRouteOptions {
  readonly db: Db;
  readonly queue: FulfillmentQueue;
  readonly waitMs: number;
  readonly rateLimitPerMinute: number;
}

/**
 * The Checkout success URL `GET /after-checkout?session_id=…`: the customer sees their order at once.
 * Registered in the pages scope, behind `pageSecurity` (CSP nonces, HTML 429 and 500 pages).
 */
export async function landingRoutes(app: FastifyInstance, opts: LandingRouteOptions): Promise<void> {
  app.get<{ Querystring: { session_id?: unknown } }>(
    '/after-checkout',
    { config: { rateLimit: { max: opts.rateLimitPerMinute, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const sessionId = request.query.session_id;
      const nonce = reply.cspNonce;
      if (!isSessionId(sessionId)) return sendHtml(reply, 400, malformedPage(nonce));

      // Postgres first: a session already in a final state renders with no queue round trip.
      let view = await findSessionView(opts.db, sessionId);
      if (view !== undefined && isFinal(view.status)) return sendHtml(reply, 200, await pageFor(view, reply));

      const outcome = await runAndWait(opts, sessionId);
      request.log.info({ sessionId, outcome }, 'landing page run');
      view = await findSessionView(opts.db, sessionId);
      if (view !== undefined) return sendHtml(reply, 200, await pageFor(view, reply));
      if (outcome === 'not_found') return sendHtml(reply, 404, notFoundPage(nonce));
      return sendHtml(reply, 200, stillWorkingPage(sessionId, nonce));
    },
  );

  async function pageFor(view: SessionView, reply: FastifyReply): Promise<SafeHtml> {
    const nonce = reply.cspNonce;
    switch (view.status) {
      case 'fulfilled':
        return fulfilledPage(view, await findOrderDetails(opts.db, view.session_id), nonce);
      case 'payment_failed':
        return paymentFailedPage(view.session_id, nonce);
      case 'expired':
        return expiredPage(view.session_id, nonce);
      case 'awaiting_payment':
        return awaitingPaymentPage(view.session_id, nonce);
      case 'pending':
        return stillWorkingPage(view.session_id, nonce);
    }
  }
}

/**
 * Runs fulfillment through the same queue and transaction as the webhook, and waits for it. A failure
 * to reach the queue is not the customer's problem: the page then says "still working" and retries.
 */
async function runAndWait(opts: LandingRouteOptions, sessionId: string): Promise<'done' | 'not_found' | 'timeout' | 'failed'> {
  try {
    const job = await enqueueLanding(opts.queue, sessionId);
    if (job.id === undefined) return 'failed';
    const result = await waitForJob(opts.queue, job.id, opts.waitMs);
    if (result.state === 'failed') return failureCodeOf(result.reason) === 'session_not_found' ? 'not_found' : 'failed';
    return result.state === 'completed' ? 'done' : 'timeout';
  } catch {
    return 'failed';
  }
}
