import type { ExpiringFlags } from '../lib/expiring-flags.js';
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
  /** Until when this process last announced each key. */
  private readonly announcedUntil = new Map<string, number>();
  private readonly checked = new Map<string, { at: number; waiting: Promise<boolean> }>();

  constructor(
    private readonly flags: ExpiringFlags,
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
    // Whole ms: PX and PEXPIRE refuse a fraction, and inside MULTI that error would pass silently (no announcement).
    const ttl = Math.ceil(waitMs) + WANT_TTL_MS;
    // Still announced for long enough: renewed once less than WANT_TTL_MS - ANNOUNCE_EVERY_MS is left
    // beyond this take's wait, so at most every ANNOUNCE_EVERY_MS per key however many takes run at once.
    const until = this.announcedUntil.get(k);
    if (until !== undefined && until >= now + ttl - ANNOUNCE_EVERY_MS) return;
    this.announcedUntil.set(k, now + ttl);
    // Lengthen only: another process's longer wait stays announced.
    await this.flags.extend(k, ttl);
  }

  /** Whether a more urgent class waits for `endpoint` anywhere in the fleet (this process's own takes included). */
  async higherWaiting(endpoint: string, rank: number): Promise<boolean> {
    if (rank === 0) return false;
    const ck = `${rank}:${endpoint}`;
    const now = Date.now();
    const cached = this.checked.get(ck);
    // The read in flight counts as fresh: concurrent takes share one EXISTS instead of each sending their own.
    if (cached !== undefined && now - cached.at < CHECK_EVERY_MS) return cached.waiting;
    const keys = Array.from({ length: rank }, (_, r) => this.key(endpoint, r));
    const entry = { at: now, waiting: this.flags.any(keys) };
    this.checked.set(ck, entry);
    entry.waiting.catch(() => {
      if (this.checked.get(ck) === entry) this.checked.delete(ck);
    });
    return entry.waiting;
  }
}
