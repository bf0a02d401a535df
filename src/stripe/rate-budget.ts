import { setTimeout as sleep } from 'node:timers/promises';
import type { ExpiringFlags } from '../lib/expiring-flags.js';
import { ClassPriority } from './class-priority.js';
import type { PermitStore, SpacedLimit } from './spaced-permits.js';
import { currentRequestClass, rankOf, type RequestClass } from './request-class.js';

export interface RateBudgetOptions {
  /** Key prefix (on Redis the queue prefix's hash tag keeps the keys on the queue's Cluster slot). */
  readonly prefix: string;
  readonly maxRps: number;
  readonly endpointMaxRps: number;
}

/** How long permits taken ahead of need stay usable; unused ones are then dropped (spent, never carried over). */
const HOLD_MS = 50;
/** At most this share of the lower limit in one batch: with Stripe's live limits (25/s) that is 1, one permit per round trip. */
const MAX_BATCH_SHARE = 0.05;
/**
 * How far ahead a take may book its slot (and sleep until it). Further ahead it is refused and asks again
 * later, so a more urgent class arriving meanwhile (a customer's run) finds at most this much booked before it.
 */
const BOOK_AHEAD_MS = 200;
/** A refused take's retry is spread over at most this much (see spread()). */
const MAX_SPREAD_MS = 2000;

/** Where the fleet's budget is kept: Redis, or Postgres with QUEUE_BACKEND=postgres (chosen by the role). */
export interface BudgetStore {
  readonly permits: PermitStore;
  /** The fleet pause after a 429, and the classes' announcements. */
  readonly flags: ExpiringFlags;
}

/** Permits this process holds for one endpoint, and how fast it has been using them. */
interface Held {
  left: number;
  expiresAt: number;
  /** Takes in the current second, and the rate of the last full one. */
  windowStart: number;
  inWindow: number;
  perSecond: number;
  refill?: Promise<void> | undefined;
}

/**
 * One budget of Stripe requests for the whole fleet, kept in Redis (or Postgres, see BudgetStore): a global limit and one per endpoint,
 * each as permits spaced evenly in time (spaced-permits.ts), so that no second of Stripe's, wherever its
 * edges fall, holds more than the limit (+1). A 429 seen by any worker pauses every worker for a moment.
 *
 * Permits come in batches sized to this process's demand (what it used over the last second, for the next
 * 50 ms, at most 5 % of the lower limit), one refill in flight per endpoint. Why: on the end-to-end bench
 * (budget 10,000/s, backlog of 5,000 sessions, docs/benchmarks.md) one Redis round trip per request put
 * the service at 0.48× the baseline, with Redis at 296 vs 158 µs per session; batched, 0.90× and 202 µs.
 * With Stripe's live limits (25/s) a batch is always 1 and every take asks Redis as before. A batch of n
 * books n consecutive slots, and its permits may be used up to 50 ms after the first of them.
 */
export class StripeRateBudget {
  private readonly permits: PermitStore;
  private readonly flags: ExpiringFlags;
  private readonly limits: (endpoint: string) => SpacedLimit[];
  private readonly pauseKey: string;
  private readonly maxBatch: number;
  private readonly held = new Map<string, Held>();
  /** Takes of this process waiting for each endpoint. */
  private readonly waiting = new Map<string, number>();
  /** When this process last read the fleet pause, and until when it lasts: read at most every 50 ms. */
  private pauseCheckedAt = 0;
  private pausedUntil = 0;
  private readonly priority: ClassPriority;
  /** When a take for each endpoint was last refused (its limit or the global one was full), or the fleet paused. */
  private readonly refusedAt = new Map<string, number>();
  private pausedAt = 0;
  /** Requests per second one endpoint gets at most, fleet-wide: the smaller of the two limits. */
  readonly endpointLimit: number;

  constructor(store: BudgetStore, opts: RateBudgetOptions) {
    this.permits = store.permits;
    this.flags = store.flags;
    this.limits = (endpoint) => [
      { key: `${opts.prefix}:stripe-slot:${endpoint}`, perSecond: opts.endpointMaxRps },
      { key: `${opts.prefix}:stripe-slot`, perSecond: opts.maxRps },
    ];
    this.pauseKey = `${opts.prefix}:stripe-pause`;
    this.maxBatch = Math.max(1, Math.floor(Math.min(opts.maxRps, opts.endpointMaxRps) * MAX_BATCH_SHARE));
    this.priority = new ClassPriority(store.flags, opts.prefix);
    this.endpointLimit = Math.min(opts.maxRps, opts.endpointMaxRps);
  }

  /**
   * Whether the budget was binding for any of `endpoints` in the last `ms`: a take had to wait for its
   * limit (or the global one), or the fleet was paused after a 429. What the session batcher asks before
   * it makes a run wait for company (worker-batcher.ts).
   */
  refusedWithin(endpoints: readonly string[], ms: number): boolean {
    const since = Date.now() - ms;
    return this.pausedAt >= since || endpoints.some((e) => (this.refusedAt.get(e) ?? 0) >= since);
  }

  /**
   * Resolves when one request to `endpoint` fits the fleet's budget. `cls` (by default the run's, see
   * request-class.ts): while a more urgent class anywhere in the fleet waits for this endpoint, a less
   * urgent one does not take a permit.
   */
  async take(endpoint: string, cls: RequestClass = currentRequestClass()): Promise<void> {
    this.waiting.set(endpoint, (this.waiting.get(endpoint) ?? 0) + 1);
    try {
      await this.takeOne(endpoint, cls);
    } finally {
      this.waiting.set(endpoint, (this.waiting.get(endpoint) ?? 1) - 1);
    }
  }

  private async takeOne(endpoint: string, cls: RequestClass): Promise<void> {
    const rank = rankOf(cls);
    const h = this.heldFor(endpoint);
    countTake(h, Date.now());
    for (;;) {
      const paused = await this.pausedFor();
      if (paused > 0) {
        this.pausedAt = Date.now();
        await sleep(paused + jitter(50));
        continue;
      }
      await this.priority.announce(endpoint, rank);
      if (await this.priority.higherWaiting(endpoint, rank)) {
        await sleep(10 + jitter(20));
        continue;
      }
      // Batches of one (low limits): every take books its own slot.
      if (this.maxBatch === 1) {
        const wait = await this.consume(endpoint, 1);
        if (wait === 0) return;
        await this.waitAs(endpoint, rank, wait + this.spread(endpoint, rank));
        continue;
      }
      if (h.left > 0 && h.expiresAt > Date.now()) {
        h.left--;
        return;
      }
      h.refill ??= this.refill(endpoint, h, rank).finally(() => (h.refill = undefined));
      await h.refill;
    }
  }

  /**
   * How much later than the first free slot a refused take asks again: spread over the slots this
   * process's other waiting takes for the endpoint need anyway, so that a backlog does not ask Redis all
   * at once every slot. Measured with 150 waiting takes at 24/s: 8,134 Redis commands in 3 s when each
   * asked again at the first free slot, against 954 with the fixed windows before. A customer's take
   * (rank 0) is not spread: it is alone and must go first.
   */
  private spread(endpoint: string, rank: number): number {
    if (rank === 0) return 0;
    const waiting = this.waiting.get(endpoint) ?? 0;
    return jitter(Math.min(MAX_SPREAD_MS, (waiting * 1000) / this.endpointLimit));
  }

  /** Sleeps until the limit that refused has room, still announced, so that no less urgent take slips in meanwhile. */
  private async waitAs(endpoint: string, rank: number, ms: number): Promise<void> {
    await this.priority.announce(endpoint, rank, ms);
    await sleep(ms);
  }

  private async refill(endpoint: string, h: Held, rank: number): Promise<void> {
    const n = Math.min(this.maxBatch, Math.max(1, Math.ceil((h.perSecond * HOLD_MS) / 1000)));
    const wait = await this.consume(endpoint, n);
    if (wait > 0) return this.waitAs(endpoint, rank, wait);
    h.left = n;
    h.expiresAt = Date.now() + HOLD_MS;
  }

  /**
   * Books `n` slots on both limits (one round trip, both or neither) and sleeps until the first: 0, or,
   * when they are booked further ahead than BOOK_AHEAD_MS, how long until asking again is worth it.
   */
  private async consume(endpoint: string, n: number): Promise<number> {
    const answer = await this.permits.take(this.limits(endpoint), n, BOOK_AHEAD_MS);
    if (answer.granted) {
      if (answer.inMs >= 1) await sleep(answer.inMs);
      return 0;
    }
    this.refusedAt.set(endpoint, Date.now());
    return answer.retryInMs + jitter(20);
  }

  private heldFor(endpoint: string): Held {
    let h = this.held.get(endpoint);
    if (h === undefined) {
      h = { left: 0, expiresAt: 0, windowStart: Date.now(), inWindow: 0, perSecond: 0 };
      this.held.set(endpoint, h);
    }
    return h;
  }

  private async pausedFor(): Promise<number> {
    const now = Date.now();
    if (now - this.pauseCheckedAt >= 50) {
      this.pauseCheckedAt = now;
      const ttl = await this.flags.remainingMs(this.pauseKey);
      this.pausedUntil = ttl > 0 ? now + ttl : 0;
    }
    return Math.max(0, this.pausedUntil - now);
  }

  /** Every worker waits `ms` before its next Stripe request (after a 429). */
  async pauseFleet(ms: number): Promise<void> {
    // Only lengthen a pause, never shorten one that another worker set.
    const current = await this.flags.remainingMs(this.pauseKey);
    if (current < ms) await this.flags.set(this.pauseKey, ms);
    this.pauseCheckedAt = 0;
    // Permits held from before the 429 are not used after it.
    for (const h of this.held.values()) h.left = 0;
  }
}

function countTake(h: Held, now: number): void {
  if (now - h.windowStart >= 1000) {
    h.perSecond = (h.inWindow * 1000) / (now - h.windowStart);
    h.windowStart = now;
    h.inWindow = 0;
  }
  h.inWindow++;
}

function jitter(ms: number): number {
  return Math.floor(Math.random() * ms);
}
