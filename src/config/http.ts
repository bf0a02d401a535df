import { z } from 'zod';
import { commaList, duration, int } from './values.js';

/** Where the api listens, whom it trusts for client addresses, and how its customer pages behave. */
export const httpVariables = {
  HOST: z
    .union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'an IP address or a host name, such as 0.0.0.0 or ::' })
    .default('127.0.0.1'),
  PORT: int(0, 65535).default(4242),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/,\s]+)$/, 'true, false, a number of proxy hops, or a comma-separated list of proxy IPs/CIDRs')
    .default('false'),
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
  /** Fastify's `trustProxy`: whose X-Forwarded-For to believe for the client IP (rate limits). */
  readonly trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
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
  return { host: e.HOST, port: e.PORT, trustProxy: trustProxy(e.TRUST_PROXY) };
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

function trustProxy(raw: string): HttpConfig['trustProxy'] {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  return commaList(raw);
}
