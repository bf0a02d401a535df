/**
 * Baseline api for the benchmark (not part of the service): the smallest correct implementation of the
 * same contract on the same libraries. Verify with the SDK's `constructEvent`, add a BullMQ job keyed by
 * session and event (redeliveries collapse, new events run), answer 2xx once the job is in Redis. The
 * landing page reads Postgres and, when the session is not fulfilled yet, runs the same job and waits.
 */
import Fastify from 'fastify';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { pino } from 'pino';
import Stripe from 'stripe';

const env = process.env;
const log = pino({ base: { service: 'baseline-api' } });
const stripe = new Stripe(env.STRIPE_SECRET_KEY ?? '');
const secret = env.STRIPE_WEBHOOK_SECRET ?? '';
const livemode = (env.STRIPE_SECRET_KEY ?? '').startsWith('sk_live_');
const prefix = `{${env.QUEUE_PREFIX ?? 'fulfillment'}}`;
const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const queue = new Queue('fulfillment', { connection, prefix, defaultJobOptions: { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 50_000 } } });
const sql = postgres(env.DATABASE_URL ?? '', { max: 10 });
const HANDLED = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed', 'checkout.session.expired'];

const app = Fastify();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/webhook', async (req, reply) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body as Buffer, req.headers['stripe-signature'] ?? '', secret);
  } catch {
    return reply.code(400).send({ error: 'invalid_signature' });
  }
  if (!HANDLED.includes(event.type) || event.livemode !== livemode) return { received: true, ignored: true };
  const sessionId = (event.data.object as { id: string }).id;
  const job = await queue.add('fulfill-checkout', { sessionId, eventId: event.id }, { jobId: `${sessionId}_${event.id}` });
  log.info({ eventId: event.id, sessionId, jobId: job.id }, 'webhook enqueued');
  return { received: true, jobId: job.id };
});

// Opened on the first page that has to wait: a reader of the queue's event stream costs every webhook.
let events: QueueEvents | undefined;
const eventsConnection = connection.duplicate({ lazyConnect: true });
app.get<{ Querystring: { session_id?: string } }>('/after-checkout', async (req, reply) => {
  const sessionId = req.query.session_id ?? '';
  if (!/^cs_[A-Za-z0-9_]{1,250}$/.test(sessionId)) return reply.code(400).send('bad session id');
  let items = await sql<{ description: string | null }[]>`select description from checkout_line_items where session_id = ${sessionId} order by position`;
  if (items.length === 0) {
    events ??= new QueueEvents('fulfillment', { connection: eventsConnection, prefix });
    const job = await queue.add('fulfill-checkout', { sessionId }, { deduplication: { id: `${sessionId}_landing` } });
    await job.waitUntilFinished(events, 10_000).catch(() => undefined);
    items = await sql<{ description: string | null }[]>`select description from checkout_line_items where session_id = ${sessionId} order by position`;
  }
  if (items.length === 0) return reply.type('text/html').send('<h1>Still working on your order</h1>');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply.type('text/html').send(`<h1>Your order is confirmed</h1><ul>${items.map((i) => `<li>${esc(i.description ?? '')}</li>`).join('')}</ul>`);
});

await app.listen({ host: '127.0.0.1', port: Number(env.PORT ?? 3000) });
log.info('baseline api listening');
const stop = async () => {
  await app.close();
  await Promise.all([queue.close(), events?.close()]);
  eventsConnection.disconnect();
  await connection.quit();
  await sql.end();
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
