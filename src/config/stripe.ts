import { z } from 'zod';
import { commaList, ConfigError, int } from './values.js';

const webhookSecrets = z
  .string()
  .transform(commaList)
  .pipe(
    z
      .array(z.string().regex(/^whsec_[A-Za-z0-9+/=_-]{8,}$/, 'each secret must look like whsec_…'))
      .min(1, 'at least one whsec_… secret is required'),
  );

/** Stripe: the keys, where its API is, and the fleet's request budget. */
export const stripeVariables = {
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: webhookSecrets.optional(),
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:12111' }).optional(),
  STRIPE_MAX_NETWORK_RETRIES: int(0, 10).default(2),
  STRIPE_MAX_RPS: int(1, 10_000).optional(),
  STRIPE_ENDPOINT_MAX_RPS: int(1, 10_000).default(24),
  STRIPE_BATCHED_READS: z.enum(['auto', 'on', 'off']).default('auto'),
};

export interface StripeConfig {
  /** Undefined only outside production, where `npm start` then runs the local emulator. */
  readonly secretKey: string | undefined;
  readonly webhookSecrets: readonly string[] | undefined;
  readonly apiBase: URL | undefined;
  readonly livemode: boolean;
  readonly maxNetworkRetries: number;
  /** The fleet-wide budget of Stripe requests per second, all endpoints together. */
  readonly maxRps: number;
  /** The fleet-wide budget per endpoint (method and path with ids elided). */
  readonly endpointMaxRps: number;
  /** Worker runs' session reads through shared list requests: `auto` only while the budget binds (stripe/worker-batcher.ts). */
  readonly batchedReads: 'auto' | 'on' | 'off';
}

export function stripeConfig(e: z.infer<z.ZodObject<typeof stripeVariables>>): StripeConfig {
  const livemode = e.STRIPE_SECRET_KEY?.includes('_live_') ?? false;
  return {
    secretKey: e.STRIPE_SECRET_KEY,
    webhookSecrets: e.STRIPE_WEBHOOK_SECRET,
    apiBase: e.STRIPE_API_BASE === undefined ? undefined : new URL(e.STRIPE_API_BASE),
    livemode,
    maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
    // Stripe allows ~100/s live and ~25/s in test mode: stay under with room for the Dashboard and others.
    maxRps: e.STRIPE_MAX_RPS ?? (livemode ? 90 : 20),
    endpointMaxRps: e.STRIPE_ENDPOINT_MAX_RPS,
    batchedReads: e.STRIPE_BATCHED_READS,
  };
}

/** Stripe's settings with its keys guaranteed, as the api and worker need them. */
export interface StripeReady extends StripeConfig {
  readonly secretKey: string;
  readonly webhookSecrets: readonly string[];
}

/** Throws the ConfigError naming the missing keys; `fix` says what else the operator may do. */
export function missingStripeKeys(stripe: StripeConfig, fix: string): void {
  const missing = [stripe.secretKey === undefined ? 'STRIPE_SECRET_KEY' : undefined, stripe.webhookSecrets === undefined ? 'STRIPE_WEBHOOK_SECRET' : undefined].filter(
    (k) => k !== undefined,
  );
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration: ${missing.map((k) => `${k}: required`).join('; ')} (${fix})`, missing);
  }
}
