import { setTimeout as sleep } from 'node:timers/promises';
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
  /** When this process last read the fleet pause, and until when it lasts: read at most every 50 ms. */
  private pauseCheckedAt = 0;
  private pausedUntil = 0;

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
      const paused = await this.pausedFor();
      if (paused > 0) {
        await sleep(paused + jitter(50));
        continue;
      }
      // Both at once (one round trip); a point taken from one when the other refuses is simply spent.
      const [perEndpoint, global] = await Promise.allSettled([this.perEndpoint.consume(endpoint), this.global.consume('all')]);
      if (perEndpoint.status === 'fulfilled' && global.status === 'fulfilled') return;
      const waits = [perEndpoint, global].flatMap((r) => (r.status === 'rejected' ? [waitOf(r.reason)] : []));
      await sleep(Math.max(...waits));
    }
  }

  private async pausedFor(): Promise<number> {
    const now = Date.now();
    if (now - this.pauseCheckedAt >= 50) {
      this.pauseCheckedAt = now;
      const ttl = await this.redis.pttl(this.pauseKey);
      this.pausedUntil = ttl > 0 ? now + ttl : 0;
    }
    return Math.max(0, this.pausedUntil - now);
  }

  /** Every worker waits `ms` before its next Stripe request (after a 429). */
  async pauseFleet(ms: number): Promise<void> {
    // Only lengthen a pause, never shorten one that another worker set.
    const current = await this.redis.pttl(this.pauseKey);
    if (current < ms) await this.redis.set(this.pauseKey, '1', 'PX', ms);
    this.pauseCheckedAt = 0;
  }
}

function waitOf(err: unknown): number {
  if (err instanceof RateLimiterRes) return err.msBeforeNext + jitter(20);
  throw err;
}

function jitter(ms: number): number {
  return Math.floor(Math.random() * ms);
}
