import type { Redis } from 'ioredis';
import { REQUEST_CLASSES } from './request-class.js';

/** How long one announcement says "a request of this class waits here"; waiting takes renew it. */
const WANT_TTL_MS = 100;
/** A process renews its own announcement at most this often (one Redis write, not one per take). */
const ANNOUNCE_EVERY_MS = 30;
/** A process rereads the fleet's announcements at most this often. */
const CHECK_EVERY_MS = 20;

/**
 * Fleet-wide priority between request classes, per endpoint, in Redis: a take of class rank r
 * announces itself (a key that lives 100 ms unless renewed) and does not take a permit while a key of a
 * more urgent rank exists for the same endpoint. Per endpoint, because Stripe's per-endpoint limit is
 * the one that binds (25/s against 100/s in all): reconciliation's list reads need not wait for a
 * backlog of single retrieves. The least urgent class never announces (nobody yields to it).
 *
 * Hand-written because rate-limiter-flexible has no notion of priority; this is a few keys and a cache.
 */
export class ClassPriority {
  private readonly announcedAt = new Map<string, { at: number; until: number }>();
  private readonly checked = new Map<string, { at: number; waiting: boolean }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(endpoint: string, rank: number): string {
    return `${this.prefix}:stripe-want:${rank}:${endpoint}`;
  }

  /** `waitMs`: the take is about to sleep this long, and its announcement must outlast the sleep. */
  async announce(endpoint: string, rank: number, waitMs = 0): Promise<void> {
    if (rank >= REQUEST_CLASSES.length - 1) return;
    const k = this.key(endpoint, rank);
    const now = Date.now();
    const until = now + waitMs + WANT_TTL_MS;
    const last = this.announcedAt.get(k);
    if (last !== undefined && now - last.at < ANNOUNCE_EVERY_MS && last.until >= until) return;
    this.announcedAt.set(k, { at: now, until });
    // Lengthen only (PEXPIRE … GT, Redis 7): another process's longer wait stays announced.
    await this.redis.multi().set(k, '1', 'PX', waitMs + WANT_TTL_MS, 'NX').pexpire(k, waitMs + WANT_TTL_MS, 'GT').exec();
  }

  /** Whether a more urgent class waits for `endpoint` anywhere in the fleet (this process's own takes included). */
  async higherWaiting(endpoint: string, rank: number): Promise<boolean> {
    if (rank === 0) return false;
    const ck = `${rank}:${endpoint}`;
    const now = Date.now();
    const cached = this.checked.get(ck);
    if (cached !== undefined && now - cached.at < CHECK_EVERY_MS) return cached.waiting;
    const keys = Array.from({ length: rank }, (_, r) => this.key(endpoint, r));
    const waiting = (await this.redis.exists(...keys)) > 0;
    this.checked.set(ck, { at: now, waiting });
    return waiting;
  }
}
