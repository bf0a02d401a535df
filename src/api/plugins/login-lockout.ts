import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { FleetLimits } from '../fleet-limits.js';

export interface LoginLockoutOptions {
  /** Key prefix (the queue's), so every api process sees the same count. */
  readonly prefix: string;
  /** Failed logins a client may make within `windowSeconds`; the next failed one locks it out. */
  readonly maxFailures: number;
  readonly windowSeconds: number;
  /** How long a client stays locked out, whatever it sends. */
  readonly lockSeconds: number;
}

/**
 * Failed operator logins per client, fleet-wide in Redis or Postgres (rate-limiter-flexible, as the landing page's lookup caps).
 * Past `maxFailures` the client is refused without its credentials being looked at, so guessing
 * costs the attacker `lockSeconds` per `maxFailures` guesses; other clients log in as usual.
 */
export class LoginLockout {
  private readonly failures: RateLimiterAbstract;

  constructor(
    limits: FleetLimits,
    private readonly opts: LoginLockoutOptions,
  ) {
    this.failures = limits.limiter({
      keyPrefix: `${opts.prefix}:admin-login-failures`,
      points: opts.maxFailures,
      duration: opts.windowSeconds,
      blockDuration: opts.lockSeconds,
    });
  }

  /** The client's recent failures, and how many milliseconds it is still locked out for (0: it may try). */
  async check(client: string): Promise<{ failures: number; lockedMs: number }> {
    const res = await this.failures.get(client);
    if (res === null) return { failures: 0, lockedMs: 0 };
    return { failures: res.consumedPoints, lockedMs: res.consumedPoints > this.opts.maxFailures ? res.msBeforeNext : 0 };
  }

  /** Counts a failed login; the one past the limit starts the lockout. */
  async failed(client: string): Promise<void> {
    try {
      await this.failures.consume(client);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
    }
  }

  /** A good login clears the client's count (an operator's typo yesterday does not shorten today's budget). */
  async succeeded(client: string): Promise<void> {
    await this.failures.delete(client);
  }
}
