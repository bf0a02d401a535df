import type { Redis } from 'ioredis';

/**
 * Permits spaced evenly in time, fleet-wide, in Redis: the generic cell rate algorithm
 * (https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm), one "next free slot" per limit. Every
 * permit gets a slot of its own at least 1/rate after the previous one, so no interval of one second
 * (wall-clock aligned as Stripe's windows may be, or not) ever holds more than rate + 1 of them.
 *
 * Why not rate-limiter-flexible's fixed one-second windows (with `execEvenly`), as before: its windows start
 * at their first take, not on the second, and `execEvenly` spreads a window's takes over its first half, so
 * a window that ended with a burst and the next that began with one put up to twice the limit into one
 * of Stripe's seconds. Measured on the flash-sale bench (emulator windows on the wall-clock second, 25/s per
 * endpoint, budget 24/s): 27 429s out of 492 requests (5.5 %), each pausing the fleet for a second.
 *
 * One script takes from both limits (the endpoint's and the global one) or from neither.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local n = tonumber(ARGV[1])
local ahead = tonumber(ARGV[2])
local slot = now
for i = 1, #KEYS do
  local free = tonumber(redis.call('GET', KEYS[i]) or '0')
  if free > slot then slot = free end
end
if slot - now > ahead then
  return {0, tostring(slot - now - ahead)}
end
for i = 1, #KEYS do
  local nextFree = slot + n * tonumber(ARGV[2 + i])
  redis.call('SET', KEYS[i], tostring(nextFree), 'PX', math.ceil(nextFree - now) + 1000)
end
return {1, tostring(slot - now)}
`;

/** A permit's slot is this many ms from now (granted), or the limits are booked further ahead than allowed (refused). */
export type SlotAnswer = { readonly granted: true; readonly inMs: number } | { readonly granted: false; readonly retryInMs: number };

export interface SpacedLimit {
  readonly key: string;
  /** Permits per second. */
  readonly perSecond: number;
}

/** Books slots on several limits at once, both or neither: Redis (below) or Postgres (pg-spaced-permits.ts). */
export interface PermitStore {
  /**
   * Books `n` consecutive slots on every limit, starting at the first moment all of them are free, if that
   * is at most `aheadMs` from now. The caller sends its first request at the slot (`inMs`), not before.
   */
  take(limits: readonly SpacedLimit[], n: number, aheadMs: number): Promise<SlotAnswer>;
}

/** The script as a command of the connection (ioredis sends EVALSHA and loads the script when Redis lacks it). */
type WithTake = Redis & { stripeSpacedTake(numKeys: number, ...keysAndArgs: string[]): Promise<[number, string]> };

export class SpacedPermits implements PermitStore {
  private readonly redis: WithTake;

  constructor(redis: Redis) {
    redis.defineCommand('stripeSpacedTake', { lua: TAKE });
    this.redis = redis as WithTake;
  }

  async take(limits: readonly SpacedLimit[], n: number, aheadMs: number): Promise<SlotAnswer> {
    const args = [String(n), String(aheadMs), ...limits.map((l) => String(1000 / l.perSecond))];
    const [granted, ms] = await this.redis.stripeSpacedTake(limits.length, ...limits.map((l) => l.key), ...args);
    // Whole ms: callers pass them on to Redis (PX), which takes integers only.
    return granted === 1 ? { granted: true, inMs: Math.max(0, Math.ceil(Number(ms))) } : { granted: false, retryInMs: Math.max(1, Math.ceil(Number(ms))) };
  }
}
