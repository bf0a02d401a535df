import type Stripe from 'stripe';
import { SessionBatcher, type PageSessions } from './session-batcher.js';
import { TtlProductCache } from './product-cache.js';
import type { StripeRateBudget } from './rate-budget.js';

/**
 * 50 ms: half of Stripe's typical latency (~100 ms), so a lone run loses little, while at a sale's
 * 100 sessions/s a worker process gathers ~5-25 runs (its concurrency bounds it) per list request
 * instead of one retrieve each.
 */
const BATCH_WINDOW_MS = 50;
/** Two minutes of `created`: a sale's waiting sessions fit in a few pages; older stragglers go alone. */
const BATCH_MAX_SPAN_SECONDS = 120;
/** Product metadata (how each item is fulfilled) is at most this old on the batched path. */
const PRODUCT_TTL_MS = 60_000;
/**
 * The budget counts as binding this long after a session read last had to wait for it. Long, because
 * batching hides the binding: with 2 s, a sale (bench flash-sale, page records off) flipped back to
 * retrieves every few seconds until they were refused again, 1,193 retrieves and 56 429s for 3,100 sessions.
 */
const BINDING_MS = 30_000;

const SESSION_READS = ['GET /v1/checkout/sessions/:id', 'GET /v1/checkout/sessions'];

/**
 * `auto`: batch only while the retrieves would be throttled anyway: the fleet budget refused a session read
 * in the last 30 s (or paused after a 429), or this process alone wants more reads per second than the
 * retrieve endpoint allows the whole fleet. Otherwise a run retrieves at once: with room in the budget a
 * window only adds latency, and a list over a dense `created` range costs more than the retrieves it
 * replaces (end-to-end bench, emulator at 0 ms, budget 10,000/s: batching always put the service at 0.32×
 * the baseline, emulator CPU per session 4,424 vs 1,352 µs). `on`: every eligible run waits for company.
 */
export type BatchedReadsMode = 'auto' | 'on';

/** The worker process's batcher: one product cache per account (a connected account's products are its own). */
export function sessionBatcher(stripe: Stripe, budget: StripeRateBudget, mode: BatchedReadsMode, others?: PageSessions): SessionBatcher {
  const caches = new Map<string, TtlProductCache>();
  return new SessionBatcher(stripe, {
    windowMs: BATCH_WINDOW_MS,
    maxSpanSeconds: BATCH_MAX_SPAN_SECONDS,
    products: (account) => {
      const key = account ?? '';
      let cache = caches.get(key);
      if (cache === undefined) {
        cache = new TtlProductCache(PRODUCT_TTL_MS);
        caches.set(key, cache);
      }
      return cache;
    },
    ...(others === undefined ? {} : { others }),
    ...(mode === 'on' ? {} : { pays: (demand: number) => demand >= budget.endpointLimit || budget.refusedWithin(SESSION_READS, BINDING_MS) }),
  });
}
