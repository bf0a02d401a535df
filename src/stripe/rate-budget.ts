import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateBudgetOptions {
  /** Key prefix in Redis (the queue prefix's hash tag keeps it on the queue's Cluster slot). */
  readonly prefix: string;
  readonly maxRps: number;
  readonly endpointMaxRps: number;
}

/**
 * One budget of Stripe requests for the whole fleet, kept in Redis by rate-limiter-flexible: a global
 * limit and one per endpoint, each spread evenly over the second (`execEvenly`) so that no burst at a
 * window edge trips Stripe's own limiter. A 429 seen by any worker pauses every worker for a moment.
 */
export class StripeRateBudget {
  private readonly global: RateLimiterRedis;
  private readonly perEndpoint: RateLimiterRedis;
  private readonly pauseKey: string;

  constructor(
    private readonly redis: Redis,
    opts: RateBudgetOptions,
  ) {
    this.global = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${opts.prefix}:stripe-rps`, points: opts.maxRps, duration: 1, execEvenly: true });
    this.perEndpoint = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${opts.prefix}:stripe-endpoint-rps`, points: opts.endpointMaxRps, duration: 1, execEvenly: true });
    this.pauseKey = `${opts.prefix}:stripe-pause`;
  }

  /** Resolves when one request to `endpoint` fits the fleet's budget. */
  async take(endpoint: string): Promise<void> {
    for (;;) {
      const paused = await this.redis.pttl(this.pauseKey);
      if (paused > 0) {
        await sleep(paused + jitter(50));
        continue;
      }
      try {
        await this.perEndpoint.consume(endpoint);
      } catch (err) {
        await sleep(waitOf(err));
        continue;
      }
      try {
        await this.global.consume('all');
        return;
      } catch (err) {
        await sleep(waitOf(err));
      }
    }
  }

  /** Every worker waits `ms` before its next Stripe request (after a 429). */
  async pauseFleet(ms: number): Promise<void> {
    // Only lengthen a pause, never shorten one that another worker set.
    const current = await this.redis.pttl(this.pauseKey);
    if (current < ms) await this.redis.set(this.pauseKey, '1', 'PX', ms);
  }
}

function waitOf(err: unknown): number {
  if (err instanceof RateLimiterRes) return err.msBeforeNext + jitter(20);
  throw err;
}

function jitter(ms: number): number {
  return Math.floor(Math.random() * ms);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
