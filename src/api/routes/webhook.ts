import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import type { Metrics } from '../../observability/metrics.js';
import { enqueueFulfillment, type FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import { enqueueAfterSale, type AfterSaleQueue } from '../../queue/after-sale-queue.js';
import { isHandledEventType } from '../../domain/trigger.js';
import { isAfterSaleEventType } from '../../domain/after-sale-events.js';
import { eventToJob } from '../event-to-job.js';
import { checkSignatureHeader } from '../signature-header.js';
import { SIGNATURE_TOLERANCE_S, verifyWebhook, WebhookRejected } from '../verify-webhook.js';

export interface WebhookRouteOptions {
  readonly webhooks: Stripe['webhooks'];
  readonly secrets: readonly string[];
  readonly livemode: boolean;
  readonly queue: FulfillmentQueue;
  /** Refund and dispute events' runs (issue 19). */
  readonly afterSaleQueue: AfterSaleQueue;
  /** Past this, an enqueue counts as failed and Stripe gets a 503 to retry later. */
  readonly enqueueTimeoutMs: number;
  readonly metrics: Metrics;
}

/** Stripe's payloads are far smaller; anything bigger is not from Stripe. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * `POST /webhook`: verify, enqueue, answer. No Stripe API call and no database query on this path.
 * The raw body parser is registered inside this plugin only: Stripe signs the exact bytes, so the
 * body must never be parsed and re-serialised before verification.
 */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });

  const rejected = (request: FastifyRequest, reply: FastifyReply, err: WebhookRejected) => {
    if (err.code !== 'malformed_json' && err.code !== 'not_an_event') opts.metrics.signatureFailures.inc();
    opts.metrics.webhooks.inc({ type: 'unknown', outcome: 'rejected' });
    request.log.warn({ reqId: request.id, reason: err.code }, 'webhook rejected');
    return reply.code(400).send({ error: err.code, message: err.message });
  };

  // Before the body is read: an unsigned or replayed request costs no parsing and no HMAC over a megabyte.
  // The only check of the header's shape and age; verifyWebhook relies on it. A callback hook: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const problem = checkSignatureHeader(request.headers['stripe-signature'], Date.now() / 1000, SIGNATURE_TOLERANCE_S);
    if (problem === undefined) done();
    else void rejected(request, reply, problem);
  });

  // No child logger per request (Fastify's default binds reqId in one for every request): the lines above
  // carry reqId as a field instead.
  app.post('/webhook', { bodyLimit: WEBHOOK_BODY_LIMIT, childLoggerFactory: (logger) => logger }, async (request, reply) => {
    const raw = request.body;
    if (!Buffer.isBuffer(raw)) return reply.code(415).send({ error: 'unsupported_media_type', message: 'expected application/json' });
    // One string, of Stripe's shape and recent: the onRequest hook above answered 400 otherwise.
    const header = request.headers['stripe-signature'] as string;

    let event: Stripe.Event;
    try {
      event = verifyWebhook(opts.webhooks, raw, header, opts.secrets);
    } catch (err) {
      if (!(err instanceof WebhookRejected)) throw err;
      return rejected(request, reply, err);
    }

    // Fields on each line rather than a child logger: this is the hot path.
    const ids = { reqId: request.id, eventId: event.id, eventType: event.type };
    const log = request.log;
    const decision = eventToJob(event, opts.livemode);
    // One series per handled type; every other `type` (Stripe has hundreds, a signed payload may say anything)
    // shares `other`, so no input can grow the metrics without bound.
    const typeLabel = isHandledEventType(event.type) || isAfterSaleEventType(event.type) ? event.type : 'other';
    const count = (outcome: string) => opts.metrics.webhooks.inc({ type: typeLabel, outcome });
    switch (decision.kind) {
      case 'ignore':
        count(decision.reason === 'other_mode' ? 'ignored_mode' : 'ignored_type');
        log[decision.reason === 'unhandled_type' ? 'debug' : 'warn']({ ...ids, reason: decision.reason, livemode: event.livemode }, 'webhook ignored');
        return reply.code(200).send({ received: true, ignored: decision.reason });
      case 'reject':
        count('rejected');
        log.warn({ ...ids, reason: decision.message }, 'webhook rejected');
        return reply.code(400).send({ error: 'invalid_event', message: decision.message });
      case 'enqueue':
      case 'after-sale':
        break;
    }

    const stopTimer = opts.metrics.enqueueSeconds.startTimer();
    const subject = decision.kind === 'enqueue' ? { sessionId: decision.job.sessionId } : { paymentIntent: decision.job.paymentIntent };
    try {
      const adding = decision.kind === 'enqueue' ? enqueueFulfillment(opts.queue, decision.job) : enqueueAfterSale(opts.afterSaleQueue, decision.job);
      const job = await withTimeout<{ id?: string | undefined }>(adding, opts.enqueueTimeoutMs);
      stopTimer();
      count('enqueued');
      log.info({ ...ids, ...subject, jobId: job.id }, 'webhook enqueued');
      return reply.code(200).send({ received: true, jobId: job.id });
    } catch (err) {
      // Never a 2xx without the job in Redis: Stripe retries a 503.
      count('unavailable');
      // A warning: Stripe retries the 503 for days. Redis staying down shows in /readyz and the queue gauges.
      log.warn({ ...ids, err, ...subject }, 'enqueue failed; Stripe will retry');
      return reply.code(503).header('retry-after', '5').send({ error: 'queue_unavailable', message: 'try again later' });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
