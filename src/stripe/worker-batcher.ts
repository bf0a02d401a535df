import type Stripe from 'stripe';
import { SessionBatcher } from './session-batcher.js';
import { TtlProductCache } from './product-cache.js';

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

/** The worker process's batcher: one product cache per account (a connected account's products are its own). */
export function sessionBatcher(stripe: Stripe): SessionBatcher {
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
  });
}
