import { z } from 'zod';
import type { ListenerLimits } from '../lib/listener-limits.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
import { ConfigError, duration, int } from './values.js';

/** Where the api listens, whom it trusts for client addresses, and how its customer pages behave. */
export const httpVariables = {
  HOST: z
    .union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'an IP address or a host name, such as 0.0.0.0 or ::' })
    .default('127.0.0.1'),
  PORT: int(0, 65535).default(4242),
  TRUST_PROXY: z
    .string()
    .superRefine((v, ctx) => {
      const problem = parseTrustProxy(v).problem;
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default('false'),
  // Every listener (api, worker's HTTP port, emulator, demo mailbox): see src/lib/listener-limits.ts.
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(72_000),
  HTTP_MAX_CONNECTIONS_PER_CLIENT: int(0, 1_000_000).default(256),
  LANDING_WAIT_MS: int(0, 60_000).default(8000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://shop.example.com' }).optional(),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(120),
  LANDING_STRIPE_SHARE: z.coerce.number().gt(0, 'a fraction above 0, such as 0.25').max(1, 'at most 1').default(0.25),
  LANDING_LOOKUPS_PER_CLIENT: int(1, 10_000).default(10),
  LANDING_RECHECK_INTERVAL: duration.default(30_000),
  ORDER_PAGE_SECRET_WINDOW: duration.default(3_600_000),
};

type Env = z.infer<z.ZodObject<typeof httpVariables>>;

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Whose X-Forwarded-For to believe for the client IP (rate limits, lockout, logs): never everyone. */
  readonly trustProxy: TrustProxy;
  /** Timeouts of every listener (HTTP_*_TIMEOUT_MS). */
  readonly limits: ListenerLimits;
  /** Open connections per client address (an IPv6 /64) on the api; 0: no cap. Listed proxies are exempt. */
  readonly maxConnectionsPerClient: number;
}

export interface LandingConfig {
  /** How long the landing page waits for its fulfillment run before showing "still working". */
  readonly waitMs: number;
  /** Where customers reach the api (the success URL's origin); defaults to http://HOST:PORT. */
  readonly publicUrl: string;
  /** Requests per minute per client IP on the landing page and the status API. */
  readonly rateLimitPerMinute: number;
  /**
   * Stripe lookups the landing page may cause, fleet-wide per second: LANDING_STRIPE_SHARE of the
   * retrieve budget (the smaller of STRIPE_MAX_RPS and STRIPE_ENDPOINT_MAX_RPS), at least 1.
   */
  readonly lookupsPerSecond: number;
  /** Stripe lookups per client IP per minute (LANDING_LOOKUPS_PER_CLIENT). */
  readonly lookupsPerClientPerMinute: number;
  /** A session seen as awaiting payment is looked up again at most this often (LANDING_RECHECK_INTERVAL). */
  readonly recheckMs: number;
  /** How long after fulfillment the order page shows secrets such as access codes (ORDER_PAGE_SECRET_WINDOW). */
  readonly secretWindowMs: number;
  /** `npm run demo`'s mailbox page, set only by the demo (src/roles/local-process.ts): the order page links to it. */
  readonly demoMailboxUrl?: string | undefined;
}

export function httpConfig(e: Env): HttpConfig {
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration: HTTP_HEADERS_TIMEOUT_MS: at most HTTP_REQUEST_TIMEOUT_MS (the request timeout covers the headers too)', ['HTTP_HEADERS_TIMEOUT_MS']);
  }
  return {
    host: e.HOST,
    port: e.PORT,
    trustProxy: parseTrustProxy(e.TRUST_PROXY).value ?? false,
    limits: { headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    maxConnectionsPerClient: e.HTTP_MAX_CONNECTIONS_PER_CLIENT,
  };
}

/** `retrieveRps`: the smaller of the fleet's Stripe budgets, which the landing page takes its share of. */
export function landingConfig(e: Env, retrieveRps: number): LandingConfig {
  return {
    waitMs: e.LANDING_WAIT_MS,
    publicUrl: (e.PUBLIC_URL ?? defaultPublicUrl(e.HOST, e.PORT)).replace(/\/$/, ''),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    lookupsPerSecond: Math.max(1, Math.floor(retrieveRps * e.LANDING_STRIPE_SHARE)),
    lookupsPerClientPerMinute: e.LANDING_LOOKUPS_PER_CLIENT,
    recheckMs: e.LANDING_RECHECK_INTERVAL,
    secretWindowMs: e.ORDER_PAGE_SECRET_WINDOW,
  };
}

/** Where a browser on this machine reaches the api: a wildcard host means loopback; IPv6 goes in brackets. */
function defaultPublicUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
