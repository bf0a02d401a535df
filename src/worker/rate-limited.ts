import { Worker } from 'bullmq';
import Stripe from 'stripe';

/** How long no worker of the fleet takes a job after a 429: Stripe sends no Retry-After to go by. */
const RATE_LIMIT_PAUSE_MS = 1000;

/**
 * BullMQ's manual rate limiting only takes effect on a worker with a `limiter` (moveToActive checks
 * the limiter key only then). This one never binds by itself: the Stripe budget paces requests.
 */
export const NEVER_BINDING_LIMITER = { max: 1_000_000, duration: 1000 } as const;

/** Stripe answered 429 (`StripeRateLimitError`), after the SDK's own retries if it made any. */
export function isStripeRateLimit(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeRateLimitError || (err instanceof Stripe.errors.StripeError && err.statusCode === 429);
}

/**
 * A 429 never consumes one of a job's attempts, so no storm, however long, exhausts its retries:
 * the queue is rate-limited for everyone (https://docs.bullmq.io/guide/rate-limiting#manual-rate-limit)
 * and the job goes back to wait as it was. The caller throws what this returns.
 */
export async function putBackRateLimited(queue: { rateLimit(ms: number): Promise<void> }, pauseMs = RATE_LIMIT_PAUSE_MS): Promise<Error> {
  await queue.rateLimit(pauseMs);
  return Worker.RateLimitError();
}
