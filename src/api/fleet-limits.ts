import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ExpiringFlags } from '../lib/expiring-flags.js';

/** A rate-limiter-flexible limiter's settings, whatever store keeps its counts. */
export interface LimiterSettings {
  readonly keyPrefix: string;
  readonly points: number;
  /** Seconds. */
  readonly duration: number;
  readonly blockDuration?: number;
}

/**
 * What the api processes of a fleet count together: the landing page's lookup caps and memories, and the
 * operator login lockout. Kept in Redis (RateLimiterRedis, keys with a TTL) or, with QUEUE_BACKEND=postgres,
 * in Postgres (RateLimiterPostgres, expiring_flags): the role picks one (roles/queue-backend.ts).
 */
export interface FleetLimits {
  readonly flags: ExpiringFlags;
  limiter(settings: LimiterSettings): RateLimiterAbstract;
}
