/**
 * Which of Stripe's request-rate limits the emulator enforces (https://docs.stripe.com/rate-limits):
 * - `off`: none (only `maxRps`/`maxEndpointRps`, if set);
 * - `by-key`: as Stripe does, by the key's mode: 100/s in all and 25/s per endpoint with a live key,
 *   25/s in all with a test (sandbox) key;
 * - `live`: the live-mode limits whatever the key, for benchmarks that run with test keys.
 * Each account (the platform, or a connected account named by `Stripe-Account`) has its own budget.
 */
export type StripeLimits = 'off' | 'by-key' | 'live';

/** Fault and speed knobs of the emulator; all can be changed while it runs. */
export interface Knobs {
  /** Added to every API response, in ms. */
  latencyMs: number;
  /** Requests per second per account across all endpoints above which it answers 429 (0: no limit). */
  maxRps: number;
  /** Requests per second per account and endpoint (method and route) above which it answers 429 (0: no limit). */
  maxEndpointRps: number;
  /** Stripe's own limits, enforced on top of `maxRps`/`maxEndpointRps`. */
  stripeLimits: StripeLimits;
  /** Fraction (0..1) of API requests answered 429 whatever the rate: a storm of rate limits. */
  rateLimitRate: number;
  /** Fraction (0..1) of API requests answered with a 500 `api_error`. */
  errorRate: number;
  /**
   * Fraction (0..1) of API requests whose connection is reset (TCP RST) before any answer: what a client sees
   * when a load balancer or the network drops it (`ECONNRESET`, the SDK's `StripeConnectionError`).
   */
  resetRate: number;
  /** Hosted page: 0 delivers the webhook before redirecting the customer; > 0 sends it that long after. */
  webhookDelayMs: number;
  /** Hosted page: how long a delayed bank debit takes to succeed or fail. */
  asyncPaymentDelayMs: number;
  /**
   * The status a new refund starts in: `succeeded` (a card refund, at once) or `pending` (as bank debits'
   * refunds are, until `/_emulator/refunds/:id/status` settles them).
   */
  refundStatus: 'succeeded' | 'pending';
}

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  maxRps: 0,
  maxEndpointRps: 0,
  stripeLimits: 'off',
  rateLimitRate: 0,
  errorRate: 0,
  resetRate: 0,
  webhookDelayMs: 0,
  asyncPaymentDelayMs: 3000,
  refundStatus: 'succeeded',
};

/** Stripe's published limits (https://docs.stripe.com/rate-limits#rate-limiter). */
const LIVE_LIMITS = { total: 100, perEndpoint: 25 } as const;
const SANDBOX_LIMITS = { total: 25, perEndpoint: 25 } as const;

/** Who a request is counted against: its account, and whether its key is live. */
export interface RequestOrigin {
  readonly account?: string | undefined;
  readonly livemode: boolean;
}

/** The limits that apply to one request under these knobs (0: unlimited). */
export function limitsFor(knobs: Knobs, livemode: boolean): { total: number; perEndpoint: number } {
  const stripe = knobs.stripeLimits === 'off' ? undefined : knobs.stripeLimits === 'live' || livemode ? LIVE_LIMITS : SANDBOX_LIMITS;
  return { total: tightest(knobs.maxRps, stripe?.total), perEndpoint: tightest(knobs.maxEndpointRps, stripe?.perEndpoint) };
}

function tightest(knob: number, stripe: number | undefined): number {
  if (stripe === undefined) return knob;
  return knob > 0 ? Math.min(knob, stripe) : stripe;
}
