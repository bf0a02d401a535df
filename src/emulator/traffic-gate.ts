import { limitsFor, type Knobs, type RequestOrigin } from './knobs.js';

export interface TrafficStats {
  requests: number;
  rateLimited: number;
  serverErrors: number;
  /** Connections reset without an answer (`resetRate`). */
  resets: number;
  byEndpoint: Record<string, number>;
  /** Served (not 429, not 5xx) requests per endpoint, and when the first and last request came. */
  servedByEndpoint: Record<string, number>;
  firstAt: number;
  lastAt: number;
}

export type Fate = 'ok' | 'rate_limited' | 'server_error' | 'reset';

/**
 * Fixed one-second windows per account (and key mode), in all and per endpoint: a coarse version of
 * Stripe's limiter. Hand-written: this is the *thing being limited*, a test double of Stripe, not a
 * client-side limiter (the service's own side is src/stripe/rate-budget.ts).
 */
export class TrafficGate {
  private windowStart = 0;
  /** Served requests this second, keyed by `mode account` and by `mode account endpoint`. */
  private counts = new Map<string, number>();
  readonly stats: TrafficStats = emptyStats();

  /** `clock` lets tests hold time still, so that a window never ends in the middle of a burst. */
  constructor(
    readonly knobs: Knobs,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Decides the fate of one request: served, 429, 500 or its connection reset. */
  admit(endpoint: string, origin: RequestOrigin = { livemode: false }, now = this.clock()): Fate {
    const second = Math.floor(now / 1000);
    if (second !== this.windowStart) {
      this.windowStart = second;
      this.counts = new Map();
    }
    this.stats.requests++;
    if (this.stats.firstAt === 0) this.stats.firstAt = now;
    this.stats.lastAt = now;
    this.stats.byEndpoint[endpoint] = (this.stats.byEndpoint[endpoint] ?? 0) + 1;
    // A reset drops the connection before Stripe's limiter sees the request: it uses none of the budget.
    if (this.knobs.resetRate > 0 && Math.random() < this.knobs.resetRate) {
      this.stats.resets++;
      return 'reset';
    }
    const limits = limitsFor(this.knobs, origin.livemode);
    // Live and test data are separate worlds on Stripe, and so are their budgets.
    const totalKey = `${origin.livemode ? 'live' : 'test'} ${origin.account ?? 'platform'}`;
    const endpointKey = `${totalKey} ${endpoint}`;
    const total = (this.counts.get(totalKey) ?? 0) + 1;
    const perEndpoint = (this.counts.get(endpointKey) ?? 0) + 1;
    const over = (limits.total > 0 && total > limits.total) || (limits.perEndpoint > 0 && perEndpoint > limits.perEndpoint);
    if (over || (this.knobs.rateLimitRate > 0 && Math.random() < this.knobs.rateLimitRate)) {
      this.stats.rateLimited++;
      return 'rate_limited';
    }
    this.counts.set(totalKey, total);
    this.counts.set(endpointKey, perEndpoint);
    if (this.knobs.errorRate > 0 && Math.random() < this.knobs.errorRate) {
      this.stats.serverErrors++;
      return 'server_error';
    }
    this.stats.servedByEndpoint[endpoint] = (this.stats.servedByEndpoint[endpoint] ?? 0) + 1;
    return 'ok';
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }
}

function emptyStats(): TrafficStats {
  return { requests: 0, rateLimited: 0, serverErrors: 0, resets: 0, byEndpoint: {}, servedByEndpoint: {}, firstAt: 0, lastAt: 0 };
}
