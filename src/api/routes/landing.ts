import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.js';
import { findFailure } from '../../db/fulfillment-failures.js';
import { findOrderDetails } from '../../db/order-details.js';
import { findSessionView, type SessionView } from '../../db/session-view.js';
import { isSessionId } from '../../domain/session-id.js';
import { isFinal } from '../../domain/session-status.js';
import { isConnectionError } from '../../observability/connection-error.js';
import { enqueueLanding, type FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import { failureCodeOf } from '../../queue/job-failure.js';
import type { FinishedSignals } from '../../queue/finished-signals.js';
import { waitForJob } from '../../queue/wait-for-job.js';
import { clientKey } from '../client-key.js';
import type { LandingGuard, LookupVerdict } from '../landing-guard.js';
import { sendHtml, type SafeHtml } from '../../lib/html.js';
import { needsAttentionPage } from '../views/needs-attention-page.js';
import {
  REFRESH_STEPS,
  awaitingPaymentPage,
  expiredPage,
  malformedPage,
  notCompletedPage,
  notFoundPage,
  paymentFailedPage,
  stillWorkingPage,
} from '../views/landing-pages.js';
import { fulfilledPage } from '../views/order-page.js';

export interface LandingRouteOptions {
  readonly db: Db;
  readonly queue: FulfillmentQueue;
  readonly guard: LandingGuard;
  /** The mode of the configured key: ids of the other mode are never looked up. */
  readonly livemode: boolean;
  readonly waitMs: number;
  /** Wakes a page when its run finishes; without it the page polls the job's state. */
  readonly finished?: FinishedSignals | undefined;
  readonly rateLimitPerMinute: number;
  readonly secretWindowMs: number;
  readonly emailConfigured: boolean;
  /** `npm run demo`'s mailbox page, linked from the order page. */
  readonly demoMailboxUrl?: string | undefined;
}

type Query = { session_id?: unknown; refresh?: unknown };

/**
 * The Checkout success URL `GET /after-checkout?session_id=…`: the customer sees their order at once.
 * Registered in the pages scope, behind `pageSecurity` (CSP nonces, HTML 429 and 500 pages).
 *
 * Anyone can call it with any id, and a lookup costs a Stripe request from the budget webhook runs
 * need, so a lookup happens only when nothing cheaper answers: Postgres for known sessions, Redis for
 * ids Stripe does not know and sessions checked a moment ago, and then only within the landing caps.
 */
export async function landingRoutes(app: FastifyInstance, opts: LandingRouteOptions): Promise<void> {
  app.get<{ Querystring: Query }>(
    '/after-checkout',
    { config: { rateLimit: { max: opts.rateLimitPerMinute, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const sessionId = request.query.session_id;
      const refreshStep = parseRefreshStep(request.query.refresh);
      if (!isSessionId(sessionId) || refreshStep === undefined) return sendHtml(reply, 400, malformedPage(reply.cspNonce));
      const page = (view: SessionView | undefined, fresh: boolean) => pageFor(sessionId, view, fresh, refreshStep, reply);
      // A cs_live_ id with a test key (or the reverse) can never be found: no lookup.
      if (sessionId.startsWith('cs_live_') !== opts.livemode) return sendHtml(reply, 404, notFoundPage(reply.cspNonce));

      // Postgres first: a session already in a final state renders with no queue round trip.
      let stored: SessionView | undefined;
      let failed: boolean;
      try {
        stored = await findSessionView(opts.db, sessionId);
        failed = stored !== undefined && isFinal(stored.status) ? false : (await findFailure(opts.db, sessionId)) !== undefined;
      } catch (err) {
        // Postgres away (with QUEUE_BACKEND=postgres the queue too): no run could be recorded anyway, and the
        // customer's payment is safe with Stripe. The page says "still working" and refreshes, as for Redis.
        if (!isConnectionError(err)) throw err;
        request.log.warn({ err, sessionId }, 'landing page: Postgres unavailable');
        return sendHtml(reply, 200, await page(undefined, false));
      }
      if (stored !== undefined && isFinal(stored.status)) return sendHtml(reply, 200, await page(stored, true));
      // A session whose run failed for good waits for an operator: another run would only fail again.
      if (failed) return sendHtml(reply, 200, needsAttentionPage(sessionId, reply.cspNonce));
      let verdict: 'missing' | 'recently_checked' | LookupVerdict;
      try {
        verdict = await guardVerdict(opts.guard, sessionId, stored, clientKey(request.ip));
      } catch (err) {
        // Redis is the queue too: without it no lookup could run anyway. The page says "still working".
        request.log.warn({ err, sessionId }, 'landing guard unavailable');
        return sendHtml(reply, 200, await page(stored, false));
      }
      if (verdict === 'missing') return sendHtml(reply, 404, notFoundPage(reply.cspNonce));
      if (verdict === 'recently_checked' && stored !== undefined) return sendHtml(reply, 200, await page(stored, true));
      if (verdict === 'client_limited' || verdict === 'fleet_limited') {
        request.log.info({ sessionId, verdict }, 'landing lookup refused by its cap');
        return sendHtml(reply, 200, await page(stored, false));
      }
      const outcome = await runAndWait(opts, sessionId, request);
      request.log.info({ sessionId, outcome }, 'landing page run');
      if (outcome === 'not_found') {
        // Best effort: without the memory the next visit only costs another lookup, within the caps.
        await opts.guard.rememberMissing(sessionId).catch((err: unknown) => request.log.warn({ err, sessionId }, 'landing guard unavailable'));
        return sendHtml(reply, 404, notFoundPage(reply.cspNonce));
      }
      if (outcome === 'needs_attention') return sendHtml(reply, 200, needsAttentionPage(sessionId, reply.cspNonce));
      return sendHtml(reply, 200, await page(await findSessionView(opts.db, sessionId), outcome === 'done'));
    },
  );

  /** `fresh`: the stored state is Stripe's current one (final, or just looked up). */
  async function pageFor(sessionId: string, view: SessionView | undefined, fresh: boolean, refreshStep: number, reply: FastifyReply): Promise<SafeHtml> {
    const nonce = reply.cspNonce;
    const waiting = { nonce, refreshStep, emailConfigured: opts.emailConfigured };
    switch (view?.status) {
      case 'fulfilled': {
        const details = await findOrderDetails(opts.db, view.session_id, view.line_items.map((i) => i.id));
        return fulfilledPage(view, details, {
          nonce,
          emailConfigured: opts.emailConfigured,
          secretWindowMs: opts.secretWindowMs,
          now: new Date(),
          demoMailboxUrl: opts.demoMailboxUrl,
        });
      }
      case 'payment_failed':
        return paymentFailedPage(sessionId, nonce);
      case 'expired':
        return expiredPage(sessionId, nonce);
      case 'awaiting_payment':
        return awaitingPaymentPage(sessionId, waiting);
      case 'pending':
        // Stripe's `open`: the customer left Checkout unpaid. Only said when just read from Stripe.
        return fresh ? notCompletedPage(sessionId, nonce) : stillWorkingPage(sessionId, waiting);
      case undefined:
        return stillWorkingPage(sessionId, waiting);
    }
  }
}

/** Whether this visit may cost a Stripe lookup, asking Redis in order of cost. */
async function guardVerdict(
  guard: LandingGuard,
  sessionId: string,
  stored: SessionView | undefined,
  client: string,
): Promise<'missing' | 'recently_checked' | LookupVerdict> {
  if (stored === undefined && (await guard.isKnownMissing(sessionId))) return 'missing';
  const recheck = await guard.claimRecheck(sessionId, stored?.status === 'awaiting_payment');
  if ((stored?.status === 'awaiting_payment' || stored?.status === 'pending') && !recheck) return 'recently_checked';
  return guard.takeLookup(client);
}

/** The `refresh` step of a page without JavaScript: absent is 0; anything but a small number is refused. */
function parseRefreshStep(raw: unknown): number | undefined {
  if (raw === undefined) return 0;
  if (typeof raw !== 'string' || !/^\d{1,2}$/.test(raw)) return undefined;
  return Math.min(Number(raw), REFRESH_STEPS.length);
}

/**
 * Runs fulfillment through the same queue and transaction as the webhook, and waits for it. A failure
 * to reach the queue is not the customer's problem: the page then says "still working" and retries.
 */
async function runAndWait(opts: LandingRouteOptions, sessionId: string, request: FastifyRequest): Promise<'done' | 'not_found' | 'needs_attention' | 'timeout' | 'failed'> {
  try {
    const job = await enqueueLanding(opts.queue, sessionId);
    if (job.id === undefined) return 'failed';
    const result = await waitForJob(opts.queue, job.id, opts.waitMs, { signals: opts.finished });
    if (result.state === 'failed') {
      const code = failureCodeOf(result.reason);
      return code === 'session_not_found' ? 'not_found' : code === 'poison_data' ? 'needs_attention' : 'failed';
    }
    return result.state === 'completed' ? 'done' : 'timeout';
  } catch (err) {
    request.log.warn({ err, sessionId }, 'landing page could not run fulfillment');
    return 'failed';
  }
}
