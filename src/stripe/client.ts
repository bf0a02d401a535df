import Stripe from 'stripe';
import { vouchingHttpClient } from './vouching-http-client.js';

export interface StripeClientOptions {
  readonly secretKey: string;
  /** When set (the local emulator, or a proxy), the SDK talks to this host, port and protocol instead of Stripe. */
  readonly apiBase?: URL | undefined;
  readonly maxNetworkRetries: number;
  readonly timeoutMs?: number;
  /** e.g. `pacedHttpClient(budget)`: the SDK's Node client behind the fleet-wide rate budget. */
  readonly httpClient?: Stripe.HttpClient;
}

/** The one place a Stripe client is made. The SDK retries idempotent failures itself (`maxNetworkRetries`). */
export function createStripeClient(opts: StripeClientOptions): Stripe {
  const base = opts.apiBase;
  return new Stripe(opts.secretKey, {
    maxNetworkRetries: opts.maxNetworkRetries,
    timeout: opts.timeoutMs ?? 20_000,
    appInfo: { name: 'stripe-checkout-fulfillment' },
    // No X-Stripe-Client-Telemetry header (timings of our previous request, sent to Stripe): off, the
    // worker used ~10% less CPU per session on the end-to-end benchmark.
    telemetry: false,
    // Its JSON answers are checked for storability as text, once (vouching-http-client.ts).
    httpClient: vouchingHttpClient(opts.httpClient),
    ...(base === undefined
      ? {}
      : {
          host: base.hostname,
          port: base.port === '' ? (base.protocol === 'https:' ? 443 : 80) : Number(base.port),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }),
  });
}
