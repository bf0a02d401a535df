import { z } from 'zod';

/**
 * Configuration, parsed once from the environment at start-up, frozen and passed down.
 * No other module reads `process.env`. The variable names are a public contract (README).
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** `90s`, `10m`, `72h`, `7d` → milliseconds. */
export function parseDuration(raw: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(raw.trim());
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
/** `a, b,,c` → `['a', 'b', 'c']`: the variables that take several values (secrets for rotation, URLs, proxies). */
function commaList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
const duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, 'a duration such as 90s, 10m, 72h or 7d')
  .transform((v) => parseDuration(v) as number);

const webhookSecrets = z
  .string()
  .transform(commaList)
  .pipe(
    z
      .array(z.string().regex(/^whsec_[A-Za-z0-9+/=_-]{8,}$/, 'each secret must look like whsec_…'))
      .min(1, 'at least one whsec_… secret is required'),
  );

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // A URL parser, not a prefix check: 'postgres://a b/c' once passed and then crashed the driver at connect.
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .default('postgres://postgres:postgres@127.0.0.1:5432/fulfillment'),
  DATABASE_POOL_MAX: int(1, 1000).optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: webhookSecrets.optional(),
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:12111' }).optional(),
  HOST: z
    .union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'an IP address or a host name, such as 0.0.0.0 or ::' })
    .default('127.0.0.1'),
  PORT: int(0, 65535).default(4242),
  WORKER_CONCURRENCY: int(1, 1000).default(25),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it is wrapped in {} as a Redis Cluster hash tag)')
    .default('fulfillment'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JOB_ATTEMPTS: int(1, 100).default(12),
  JOB_BACKOFF_MS: int(1, 3_600_000).default(1000),
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(30_000),
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).optional(),
  /** The older, worker-only name of SHUTDOWN_TIMEOUT_MS; still read when SHUTDOWN_TIMEOUT_MS is unset. */
  WORKER_SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).optional(),
  STRIPE_MAX_NETWORK_RETRIES: int(0, 10).default(2),
  EMULATOR_PORT: int(0, 65535).default(12111),
  LANDING_WAIT_MS: int(0, 60_000).default(8000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://shop.example.com' }).optional(),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(120),
  LANDING_STRIPE_SHARE: z.coerce.number().gt(0, 'a fraction above 0, such as 0.25').max(1, 'at most 1').default(0.25),
  LANDING_LOOKUPS_PER_CLIENT: int(1, 10_000).default(10),
  LANDING_RECHECK_INTERVAL: duration.default(30_000),
  ORDER_PAGE_SECRET_WINDOW: duration.default(3_600_000),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  WORKER_HTTP_PORT: int(0, 65535).optional(),
  ADMIN_USERNAME: z.string().min(1).optional(),
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  ADMIN_READONLY: z.enum(['true', 'false']).default('false'),
  RECONCILE_INTERVAL: z
    .string()
    .refine((v) => v === 'off' || parseDuration(v) !== undefined, 'a duration such as 10m or 1h, or off')
    .transform((v) => (v === 'off' ? 0 : (parseDuration(v) as number)))
    .default(10 * 60_000),
  RECONCILE_LOOKBACK: duration.default(72 * 3_600_000),
  LOG_PII: z.enum(['true', 'false']).default('false'),
  STRIPE_MAX_RPS: int(1, 10_000).optional(),
  STRIPE_ENDPOINT_MAX_RPS: int(1, 10_000).default(24),
  STRIPE_BATCHED_READS: z.enum(['auto', 'on', 'off']).default('auto'),
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587' })
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).regex(/^[^\r\n]+$/, 'one line, e.g. "Shop <orders@example.com>"').optional(),
  CALLBACK_URLS: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(
          z
            .url({ protocol: /^https?$/, error: 'each entry must be an http(s) URL' })
            // The HTTP client would drop them silently: the receiver authenticates the signature instead.
            .refine((u) => !/^https?:\/\/[^/?#]*@/i.test(u), 'no user:password@ in a callback URL (it would not be sent): receivers verify CALLBACK_SECRET\'s signature'),
        )
        .min(1),
    )
    .optional(),
  CALLBACK_SECRET: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(z.string().regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, 'each secret must be whsec_ followed by base64 (at least 16 bytes)'))
        .min(1, 'at least one whsec_… secret is required'),
    )
    .optional(),
  EFFECT_BACKOFF_MS: int(1, 3_600_000).default(1000),
  EFFECT_RETRY_HORIZON: duration.default(72 * 3_600_000),
  EFFECT_TIMEOUT_MS: int(1000, 600_000).default(35_000),
  EFFECT_CONCURRENCY: int(1, 1000).default(50),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/,\s]+)$/, 'true, false, a number of proxy hops, or a comma-separated list of proxy IPs/CIDRs')
    .default('false'),
});

type Env = z.infer<typeof schema>;

export interface Config {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly databaseUrl: string;
  /** Postgres connections per process at most; undefined: each role's default (api 10, worker min(concurrency, 20)). */
  readonly databasePoolMax: number | undefined;
  readonly redisUrl: string;
  readonly stripe: {
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
  };
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Fastify's `trustProxy`: whose X-Forwarded-For to believe for the client IP (rate limits). */
    readonly trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  };
  readonly worker: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
  };
  /** How long a graceful stop (SIGTERM) may take before the process exits anyway; every role. */
  readonly shutdownTimeoutMs: number;
  readonly queue: { readonly prefix: string; readonly attempts: number; readonly backoffMs: number };
  readonly logLevel: Env['LOG_LEVEL'];
  readonly emulatorPort: number;
  readonly landing: {
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
  };
  readonly ops: {
    readonly metricsToken: string | undefined;
    /** The worker's own /healthz, /readyz and /metrics; undefined: no HTTP server in the worker. */
    readonly workerHttpPort: number | undefined;
    /** Bull Board credentials; undefined: the dashboard is off. */
    readonly admin: { readonly username: string; readonly password: string; readonly readonly: boolean } | undefined;
    readonly logPii: boolean;
  };
  /** External effects (transactional outbox): receipt emails and signed callbacks. */
  readonly effects: {
    /** Undefined: the `email` kind is off (said at start). */
    readonly smtpUrl: string | undefined;
    readonly mailFrom: string;
    /** Empty: no callbacks. */
    readonly callbackUrls: readonly string[];
    /** Standard Webhooks signing secrets (`whsec_<base64>`); every one signs each callback (rotation). */
    readonly callbackSecrets: readonly string[];
    /** First retry delay; exponential with jitter after that. */
    readonly backoffMs: number;
    /** After this long since the effect was recorded, a failing effect goes `dead`. */
    readonly retryHorizonMs: number;
    /** One delivery attempt ends by then, whatever the receiver does (EFFECT_TIMEOUT_MS). */
    readonly attemptTimeoutMs: number;
    /** Effect jobs in flight per worker process (EFFECT_CONCURRENCY): one effect's attempt, or a run's new effects together. */
    readonly concurrency: number;
  };
  /** `intervalMs` 0 (RECONCILE_INTERVAL=off): this worker schedules nothing; runs only when asked (CLI). */
  readonly reconcile: { readonly intervalMs: number; readonly lookbackMs: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** A stable code for callers (start-up reports it); never match the message. */
  readonly code = 'config_invalid';
  constructor(
    message: string,
    /** The variables at fault, by name: what an operator has to change. */
    readonly variables: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // Empty strings count as unset, as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${String(i.path[0])}: ${i.message}${i.path.length > 1 ? ` (entry ${Number(i.path[1]) + 1})` : ''}`,
    );
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`, [...new Set(parsed.error.issues.map((i) => String(i.path[0])))]);
  }
  const e = parsed.data;
  if ((e.ADMIN_USERNAME === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('invalid configuration: ADMIN_USERNAME and ADMIN_PASSWORD: set both or neither', ['ADMIN_USERNAME', 'ADMIN_PASSWORD']);
  }
  if (e.CALLBACK_URLS !== undefined && e.CALLBACK_SECRET === undefined) {
    throw new ConfigError('invalid configuration: CALLBACK_SECRET: required when CALLBACK_URLS is set (whsec_…)', ['CALLBACK_SECRET']);
  }
  if (e.NODE_ENV === 'production') {
    // METRICS_TOKEN too: without it /metrics (queue depths, session counts) is public on the api's port.
    const missing = (['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'METRICS_TOKEN'] as const).filter((k) => e[k] === undefined);
    if (missing.length > 0) {
      const why = (k: string) => (k === 'METRICS_TOKEN' ? ' (at least 16 characters; /metrics would be public without it)' : '');
      throw new ConfigError(`invalid configuration: ${missing.map((k) => `${k}: required in production${why(k)}`).join('; ')}`, missing);
    }
  }
  // Stripe allows ~100/s live and ~25/s in test mode: stay under with room for the Dashboard and others.
  const maxRps = e.STRIPE_MAX_RPS ?? (e.STRIPE_SECRET_KEY?.includes('_live_') === true ? 90 : 20);
  return deepFreeze({
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecrets: e.STRIPE_WEBHOOK_SECRET,
      apiBase: e.STRIPE_API_BASE === undefined ? undefined : new URL(e.STRIPE_API_BASE),
      livemode: e.STRIPE_SECRET_KEY?.includes('_live_') ?? false,
      maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
      maxRps,
      endpointMaxRps: e.STRIPE_ENDPOINT_MAX_RPS,
      batchedReads: e.STRIPE_BATCHED_READS,
    },
    http: { host: e.HOST, port: e.PORT, trustProxy: trustProxy(e.TRUST_PROXY) },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS ?? e.WORKER_SHUTDOWN_TIMEOUT_MS ?? 25_000,
    queue: { prefix: e.QUEUE_PREFIX, attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS },
    logLevel: e.LOG_LEVEL,
    emulatorPort: e.EMULATOR_PORT,
    landing: {
      waitMs: e.LANDING_WAIT_MS,
      publicUrl: (e.PUBLIC_URL ?? defaultPublicUrl(e.HOST, e.PORT)).replace(/\/$/, ''),
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      lookupsPerSecond: Math.max(1, Math.floor(Math.min(maxRps, e.STRIPE_ENDPOINT_MAX_RPS) * e.LANDING_STRIPE_SHARE)),
      lookupsPerClientPerMinute: e.LANDING_LOOKUPS_PER_CLIENT,
      recheckMs: e.LANDING_RECHECK_INTERVAL,
      secretWindowMs: e.ORDER_PAGE_SECRET_WINDOW,
    },
    ops: {
      metricsToken: e.METRICS_TOKEN,
      workerHttpPort: e.WORKER_HTTP_PORT,
      admin:
        e.ADMIN_USERNAME !== undefined && e.ADMIN_PASSWORD !== undefined
          ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD, readonly: e.ADMIN_READONLY === 'true' }
          : undefined,
      logPii: e.LOG_PII === 'true',
    },
    effects: {
      smtpUrl: e.SMTP_URL,
      mailFrom: e.MAIL_FROM ?? 'Orders <orders@localhost>',
      callbackUrls: e.CALLBACK_URLS ?? [],
      callbackSecrets: e.CALLBACK_SECRET ?? [],
      backoffMs: e.EFFECT_BACKOFF_MS,
      retryHorizonMs: e.EFFECT_RETRY_HORIZON,
      attemptTimeoutMs: e.EFFECT_TIMEOUT_MS,
      concurrency: e.EFFECT_CONCURRENCY,
    },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL, lookbackMs: e.RECONCILE_LOOKBACK },
  });
}

/** Config with Stripe settings guaranteed, as the api and worker need them. */
export interface StripeReadyConfig extends Config {
  readonly stripe: Config['stripe'] & { readonly secretKey: string; readonly webhookSecrets: readonly string[] };
}

export function requireStripe(config: Config, fix = 'or run "npm start" to use the local emulator'): StripeReadyConfig {
  const missing = [
    config.stripe.secretKey === undefined ? 'STRIPE_SECRET_KEY' : undefined,
    config.stripe.webhookSecrets === undefined ? 'STRIPE_WEBHOOK_SECRET' : undefined,
  ].filter((k) => k !== undefined);
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration: ${missing.map((k) => `${k}: required`).join('; ')} (${fix})`, missing);
  }
  return config as StripeReadyConfig;
}

/** Where a browser on this machine reaches the api: a wildcard host means loopback; IPv6 goes in brackets. */
function defaultPublicUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function trustProxy(raw: string): Config['http']['trustProxy'] {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  return commaList(raw);
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object' && !(v instanceof URL)) deepFreeze(v);
  return Object.freeze(o);
}
