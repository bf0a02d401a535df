import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { FleetLimits } from './fleet-limits.js';

export interface LandingGuardOptions {
  /** Key prefix: the queue's (`{prefix}`), so on Redis the keys share its Cluster slot and its tests' isolation. */
  readonly prefix: string;
  /** Landing lookups per second, the whole fleet together. */
  readonly lookupsPerSecond: number;
  /** Landing lookups per client per minute. */
  readonly lookupsPerClientPerMinute: number;
  /** A session awaiting payment is looked up again at most this often. */
  readonly recheckMs: number;
  /** How long "Stripe does not know this id" is remembered. */
  readonly missingTtlMs: number;
}

/**
 * How long a visit over the fleet's cap waits for the next second's lookups before it is answered without
 * one: about one window of the cap, so the customer gets the run the next second instead of a "still
 * working" page and a reload a second later. Flash-sale bench (3,000 sessions, 100 customers, load 8-9):
 * customers spent on average 1.28 s on pages answered without a run and 0.74 s waiting to reload them.
 * A visit over its own client's cap is never held: only the fleet's share is waited for, so strangers
 * still get no more lookups than before, they only wait for them like everyone else.
 */
const FLEET_WAIT_MS = 1200;

/** Paying takes longer than this, so a reload storm of an open session costs one lookup, and a customer who went back and paid is not held up. */
const OPEN_RECHECK_MS = 5000;

export type LookupVerdict = 'allowed' | 'client_limited' | 'fleet_limited';

/**
 * What keeps the landing page from spending the Stripe budget that webhook runs need. Every landing
 * lookup becomes a worker's retrieve, so it is counted here, in Redis or Postgres, for the whole fleet of api
 * processes: per client and in all (rate-limiter-flexible), plus two
 * memories that make repeat visits free: ids Stripe does not know, and sessions checked a moment ago.
 */
export class LandingGuard {
  private readonly perClient: RateLimiterAbstract;
  private readonly fleet: RateLimiterAbstract;

  constructor(
    private readonly limits: FleetLimits,
    private readonly opts: LandingGuardOptions,
  ) {
    this.perClient = limits.limiter({
      keyPrefix: `${opts.prefix}:landing-lookups-client`,
      points: opts.lookupsPerClientPerMinute,
      duration: 60,
    });
    this.fleet = limits.limiter({
      keyPrefix: `${opts.prefix}:landing-lookups`,
      points: opts.lookupsPerSecond,
      duration: 1,
    });
  }

  /** Whether Stripe recently said it does not know this id. */
  async isKnownMissing(sessionId: string): Promise<boolean> {
    return this.limits.flags.any([this.key('landing-missing', sessionId)]);
  }

  /**
   * Remembers that Stripe does not know this id. Short-lived: Stripe never reuses an id, and a session
   * exists before its success URL can be visited, so the memory only has to outlast a reload storm.
   */
  async rememberMissing(sessionId: string): Promise<void> {
    await this.limits.flags.set(this.key('landing-missing', sessionId), this.opts.missingTtlMs);
  }

  /**
   * True for the first caller in each recheck interval of this session, fleet-wide (SET NX). The full
   * interval only for a session stored as awaiting payment (a bank debit takes days); any other (open,
   * or not stored yet) is rechecked after at most OPEN_RECHECK_MS, since a customer may go back to
   * Checkout and pay, and must then not be shown the old state for long.
   */
  async claimRecheck(sessionId: string, awaitingPayment: boolean): Promise<boolean> {
    const ms = awaitingPayment ? this.opts.recheckMs : Math.min(OPEN_RECHECK_MS, this.opts.recheckMs);
    return this.limits.flags.claim(this.key('landing-recheck', sessionId), ms);
  }

  /**
   * Takes one lookup for this client from both caps. The client's own cap is asked first, so one
   * client over its limit does not eat into the fleet's share; the fleet's is waited for (FLEET_WAIT_MS).
   */
  async takeLookup(client: string): Promise<LookupVerdict> {
    if ((await refusedFor(this.perClient, client)) > 0) return 'client_limited';
    const deadline = Date.now() + FLEET_WAIT_MS;
    for (;;) {
      const wait = await refusedFor(this.fleet, 'all');
      if (wait === 0) return 'allowed';
      // The next window's lookups: every waiter wakes then, spread a little so that they do not all ask at once.
      const jittered = wait + Math.floor(Math.random() * 50);
      if (Date.now() + jittered > deadline) return 'fleet_limited';
      await sleep(jittered);
    }
  }

  private key(kind: string, sessionId: string): string {
    return `${this.opts.prefix}:${kind}:${sessionId}`;
  }
}

/** Takes one point: 0, or how long (ms) until the limiter's next window when it had none left. */
async function refusedFor(limiter: RateLimiterAbstract, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (err) {
    if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
    throw err;
  }
}
