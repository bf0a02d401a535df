/**
 * Baseline worker for the benchmark (not part of the service). `retrieve` with `expand: ['line_items']`
 * (auto-paginating when there are more), nothing to record unless paid, then one transaction of plain
 * inserts: the session row claims the session (`on conflict do nothing`: a concurrent or repeated run
 * waits for the first one's commit, then inserts nothing), its line items follow. Exactly once.
 * BASELINE_LIMIT_RPS sets BullMQ's queue-wide limiter (one retrieve per job) for the Stripe-budget section.
 */
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { pino } from 'pino';
import Stripe from 'stripe';

const env = process.env;
const log = pino({ base: { service: 'baseline-worker' } });
const api = env.STRIPE_API_BASE === undefined ? undefined : new URL(env.STRIPE_API_BASE);
const stripe = new Stripe(env.STRIPE_SECRET_KEY ?? '', {
  maxNetworkRetries: 2,
  ...(api === undefined ? {} : { host: api.hostname, port: Number(api.port), protocol: api.protocol === 'https:' ? 'https' : 'http' }),
});
const concurrency = Number(env.WORKER_CONCURRENCY ?? 50);
const sql = postgres(env.DATABASE_URL ?? '', { max: Math.min(concurrency, 20) });
const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const limit = Number(env.BASELINE_LIMIT_RPS ?? 0);

async function fulfill(job: Job<{ sessionId: string; eventId?: string }>): Promise<string> {
  const session = await stripe.checkout.sessions.retrieve(job.data.sessionId, { expand: ['line_items'] });
  if (session.payment_status === 'unpaid') return 'unpaid';
  const items = [...(session.line_items?.data ?? [])];
  if (session.line_items?.has_more === true) {
    const params = { limit: 100, starting_after: items.at(-1)?.id };
    for await (const item of stripe.checkout.sessions.listLineItems(session.id, params)) items.push(item);
  }
  const now = new Date().toISOString();
  const fulfilled = await sql.begin(async (tx) => {
    const claimed = await tx`
      insert into checkout_sessions (id, status, payment_status, livemode, customer_email, amount_total, currency, fulfilled_at, attempt_count, last_event_id)
      values (${session.id}, 'fulfilled', ${session.payment_status}, ${session.livemode}, ${session.customer_details?.email ?? null},
        ${session.amount_total}, ${session.currency}, ${now}, 1, ${job.data.eventId ?? null})
      on conflict (id) do nothing returning id`;
    if (claimed.length === 0) return false;
    const rows = items.map((item, position) => ({
      session_id: session.id, id: item.id, position, price_id: item.price?.id ?? null, description: item.description ?? null,
      quantity: item.quantity ?? null, unit_amount: item.price?.unit_amount ?? null, amount_subtotal: item.amount_subtotal,
      amount_discount: item.amount_discount, amount_tax: item.amount_tax, amount_total: item.amount_total, currency: item.currency, fulfilled_at: now,
    }));
    if (rows.length > 0) await tx`insert into checkout_line_items ${tx(rows)}`;
    return true;
  });
  log.info({ jobId: job.id, sessionId: session.id, fulfilled }, 'fulfillment run');
  return fulfilled ? 'fulfilled' : 'already fulfilled';
}

const worker = new Worker('fulfillment', fulfill, {
  connection,
  prefix: `{${env.QUEUE_PREFIX ?? 'fulfillment'}}`,
  concurrency,
  ...(limit > 0 ? { limiter: { max: limit, duration: 1000 } } : {}),
});
worker.on('error', (err) => log.error({ err }, 'worker error'));
log.info({ concurrency }, 'baseline worker started');
process.once('SIGTERM', () => void worker.close().then(() => Promise.all([connection.quit(), sql.end()])));
