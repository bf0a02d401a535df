/** Fault and speed knobs of the emulator; all can be changed while it runs. */
export interface Knobs {
  /** Added to every API response, in ms. */
  latencyMs: number;
  /** Requests per second across all endpoints above which it answers 429 (0: no limit). */
  maxRps: number;
  /** Requests per second per endpoint (method and route) above which it answers 429 (0: no limit). */
  maxEndpointRps: number;
  /** Fraction (0..1) of API requests answered with a 500 `api_error`. */
  errorRate: number;
  /** Hosted page: 0 delivers the webhook before redirecting the customer; > 0 sends it that long after. */
  webhookDelayMs: number;
  /** Hosted page: how long a delayed bank debit takes to succeed or fail. */
  asyncPaymentDelayMs: number;
}

export const DEFAULT_KNOBS: Knobs = { latencyMs: 0, maxRps: 0, maxEndpointRps: 0, errorRate: 0, webhookDelayMs: 0, asyncPaymentDelayMs: 3000 };

export interface TrafficStats {
  requests: number;
  rateLimited: number;
  serverErrors: number;
  byEndpoint: Record<string, number>;
  /** Served (not 429, not 5xx) requests per endpoint, and when the first and last request came. */
  servedByEndpoint: Record<string, number>;
  firstAt: number;
  lastAt: number;
}

/**
 * Fixed one-second windows, global and per endpoint, like a coarse version of Stripe's limiter.
 * Hand-written: this is the *thing being limited*, a test double of Stripe, not a client-side limiter.
 */
export class TrafficGate {
  private windowStart = 0;
  private global = 0;
  private perEndpoint = new Map<string, number>();
  readonly stats: TrafficStats = { requests: 0, rateLimited: 0, serverErrors: 0, byEndpoint: {}, servedByEndpoint: {}, firstAt: 0, lastAt: 0 };

  constructor(readonly knobs: Knobs) {}

  /** Decides the fate of one request: served, 429 or 500. */
  admit(endpoint: string, now = Date.now()): 'ok' | 'rate_limited' | 'server_error' {
    const second = Math.floor(now / 1000);
    if (second !== this.windowStart) {
      this.windowStart = second;
      this.global = 0;
      this.perEndpoint = new Map();
    }
    this.stats.requests++;
    if (this.stats.firstAt === 0) this.stats.firstAt = now;
    this.stats.lastAt = now;
    this.stats.byEndpoint[endpoint] = (this.stats.byEndpoint[endpoint] ?? 0) + 1;
    const k = this.knobs;
    const ep = (this.perEndpoint.get(endpoint) ?? 0) + 1;
    if ((k.maxRps > 0 && this.global + 1 > k.maxRps) || (k.maxEndpointRps > 0 && ep > k.maxEndpointRps)) {
      this.stats.rateLimited++;
      return 'rate_limited';
    }
    this.global++;
    this.perEndpoint.set(endpoint, ep);
    if (k.errorRate > 0 && Math.random() < k.errorRate) {
      this.stats.serverErrors++;
      return 'server_error';
    }
    this.stats.servedByEndpoint[endpoint] = (this.stats.servedByEndpoint[endpoint] ?? 0) + 1;
    return 'ok';
  }

  resetStats(): void {
    Object.assign(this.stats, { requests: 0, rateLimited: 0, serverErrors: 0, byEndpoint: {}, servedByEndpoint: {}, firstAt: 0, lastAt: 0 });
  }
}
