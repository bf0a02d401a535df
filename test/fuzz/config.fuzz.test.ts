import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PROXY_HOPS, proxyMatcher } from '../../src/config/trust-proxy.js';
import { ConfigError, loadConfig, type Config } from '../../src/config/index.js';
import { params, printCounts, runs, tally, TIMEOUT_MS } from './budget.js';

/** Every variable the service reads (README's configuration table), with a sensible value for each. */
const VARIABLES: Record<string, readonly string[]> = {
  NODE_ENV: ['development', 'production', 'test'],
  DATABASE_URL: ['postgres://postgres@127.0.0.1:5432/fulfillment', 'postgresql://u:p@db/x'],
  REDIS_URL: ['redis://127.0.0.1:6379', 'rediss://cache:6380/2'],
  STRIPE_SECRET_KEY: ['sk_test_abc123', 'sk_live_abc123', 'rk_live_x'],
  STRIPE_WEBHOOK_SECRET: ['whsec_aaaaaaaaaa', 'whsec_aaaaaaaaaa,whsec_bbbbbbbbbb'],
  STRIPE_API_BASE: ['http://127.0.0.1:12111', 'https://api.stripe.com'],
  HOST: ['127.0.0.1', '0.0.0.0', '::'],
  PORT: ['4242', '0', '65535'],
  WORKER_CONCURRENCY: ['25', '1'],
  QUEUE_PREFIX: ['fulfillment', 'a-b_c'],
  LOG_LEVEL: ['info', 'silent'],
  JOB_ATTEMPTS: ['12'],
  JOB_BACKOFF_MS: ['1000'],
  WORKER_LOCK_DURATION_MS: ['30000'],
  WORKER_SHUTDOWN_TIMEOUT_MS: ['25000'],
  STRIPE_MAX_NETWORK_RETRIES: ['2'],
  EMULATOR_PORT: ['12111'],
  LANDING_WAIT_MS: ['8000'],
  PUBLIC_URL: ['https://shop.example.com', 'http://127.0.0.1:4242/'],
  RATE_LIMIT_PER_MINUTE: ['120'],
  METRICS_TOKEN: ['0123456789abcdef'],
  WORKER_HTTP_PORT: ['9464'],
  ADMIN_USERNAME: ['ops'],
  ADMIN_PASSWORD: ['correct horse battery'],
  ADMIN_READONLY: ['true', 'false'],
  RECONCILE_INTERVAL: ['10m', 'off'],
  RECONCILE_LOOKBACK: ['72h'],
  LOG_PII: ['false'],
  ORDER_HISTORY_DAYS: ['90', '1', '3650'],
  STRIPE_MAX_RPS: ['90'],
  STRIPE_ENDPOINT_MAX_RPS: ['24'],
  SMTP_URL: ['smtp://user:pass@mail.example.com:587'],
  MAIL_FROM: ['Shop <orders@example.com>'],
  CALLBACK_URLS: ['https://app.example.com/hook'],
  CALLBACK_SECRET: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  EFFECT_BACKOFF_MS: ['1000'],
  EFFECT_RETRY_HORIZON: ['72h'],
  TRUST_PROXY: ['true', 'false', '2', '10.0.0.0/8, 192.168.1.1', 'loopback', '::1, fd00::/8', '11'],
  HTTP_HEADERS_TIMEOUT_MS: ['10000', '1000', '600000'],
  HTTP_REQUEST_TIMEOUT_MS: ['30000', '1000', '600000'],
  HTTP_KEEP_ALIVE_TIMEOUT_MS: ['72000', '1000'],
  HTTP_MAX_CONNECTIONS_PER_CLIENT: ['256', '0', '1'],
};
const NAMES = Object.keys(VARIABLES);

/** Values that trip parsers: number spellings, whitespace, URLs that only look right, unicode, NUL. */
const tricky = fc.constantFrom(
  '', ' ', '\t1', '1 ', '1e3', '0x10', '0o7', '-0', '+5', '1.5', '1_000', 'Infinity', 'NaN', '9'.repeat(400), '-1',
  'true ', 'TRUE', 'off ', '0s', '999999d', '1000000s', '10M', ',', ',,whsec_', 'whsec_\u0000aaaaaaaa',
  'postgres://', 'postgres://%', 'postgres://[::1', 'postgres://a b/c', 'postgresql://u:%zz@h/d', 'redis://', 'redis://:99999', 'rediss://[',
  'http://', 'http://[', 'https://exa mple.com', 'http://a:b@', 'javascript:alert(1)', 'file:///etc/passwd', 'smtp://', 'smtps://[',
  '\u0000', '\ud800', '\u202e', 'é', '__proto__', 'constructor', 'toString', 'x'.repeat(70_000),
);

const value = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(VARIABLES[name] ?? [''])) },
    { weight: 3, arbitrary: tricky },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer().map(String) },
  );

/** An environment: some known variables with generated values, and unrelated ones the parser must ignore. */
const environments = fc
  .tuple(fc.subarray(NAMES, { maxLength: 12 }), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }))
  .chain(([names, unrelated]) =>
    fc.tuple(...names.map((n) => value(n))).map((values) => ({ ...unrelated, ...Object.fromEntries(names.map((n, i) => [n, values[i]])) })),
  );

function deeplyFrozen(o: object): boolean {
  return Object.isFrozen(o) && Object.values(o).every((v: unknown) => v === null || typeof v !== 'object' || v instanceof URL || deeplyFrozen(v));
}

/** What a process does with the config right after parsing it: every URL must be one it can use. */
function usable(c: Config): void {
  new URL(c.databaseUrl);
  new URL(c.redisUrl);
  new URL(c.landing.publicUrl);
  if (c.effects.smtpUrl !== undefined) new URL(c.effects.smtpUrl);
  for (const u of c.effects.callbackUrls) new URL(u);
  // Never everyone's X-Forwarded-For; a hop count within its bound; every proxy entry a CIDR ipaddr.js reads.
  const trust = c.http.trustProxy;
  if (trust === (true as unknown)) throw new Error('TRUST_PROXY became true');
  if (typeof trust === 'number' && !(Number.isInteger(trust) && trust >= 1 && trust <= MAX_PROXY_HOPS)) throw new Error(`hops ${trust}`);
  if (typeof trust === 'object') for (const cidr of trust) ipaddr.parseCIDR(cidr);
  // Node refuses a headers timeout above the request timeout at listen: the parser must have refused it first.
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = c.http.limits;
  for (const ms of [headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs]) if (!(Number.isInteger(ms) && ms >= 1000)) throw new Error(`timeout ${ms}`);
  if (headersTimeoutMs > requestTimeoutMs) throw new Error('headers timeout above request timeout');
}

/** TRUST_PROXY entries as an operator might write them, right and wrong. */
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.ipV6();
const proxyEntry = fc.oneof(
  { weight: 4, arbitrary: v4 },
  { weight: 3, arbitrary: v6 },
  { weight: 3, arbitrary: fc.tuple(fc.oneof(v4, v6), fc.integer({ min: -1, max: 140 })).map(([a, bits]) => `${a}/${bits}`) },
  { weight: 1, arbitrary: fc.constantFrom('loopback', 'linklocal', 'uniquelocal', 'LOOPBACK', 'true', 'false', '1', '0x7f000001', '010.0.0.1', '127.1', '::ffff:10.0.0.1', 'fe80::1%eth0', '10.0.0.1/8/8', '10.0.0.1/', '/8', '*', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const proxyLists = fc.tuple(fc.array(proxyEntry, { minLength: 1, maxLength: 5 }), fc.constantFrom(',', ', ', ' , ', ',,')).map(([entries, sep]) => ({ entries, raw: entries.join(sep) }));

describe('fuzz: loadConfig', () => {
  afterAll(() => printCounts('config'));

  it('returns a deeply frozen, usable Config or throws one ConfigError naming the variable', () => {
    fc.assert(
      fc.property(environments, (env) => {
        tally('config: generated environments');
        let config: Config;
        try {
          config = loadConfig(env);
        } catch (err) {
          expect(err, `env ${JSON.stringify(env).slice(0, 500)}`).toBeInstanceOf(ConfigError);
          const named = [...(err as Error).message.matchAll(/([A-Z][A-Z_]+)(?: and [A-Z_]+)?:/g)].map((m) => m[1]);
          expect(named.length, (err as Error).message).toBeGreaterThan(0);
          for (const n of named) expect(NAMES, (err as Error).message).toContain(n);
          return;
        }
        expect(deeplyFrozen(config)).toBe(true);
        expect(() => usable(config), `env ${JSON.stringify(env).slice(0, 500)}`).not.toThrow();
      }),
      params(runs(100_000, 2_000)),
    );
  }, TIMEOUT_MS);

  it('TRUST_PROXY: a list is refused naming TRUST_PROXY, or read as CIDRs that match every address listed', () => {
    fc.assert(
      fc.property(proxyLists, ({ entries, raw }) => {
        tally('config: TRUST_PROXY lists');
        let config: Config;
        try {
          config = loadConfig({ TRUST_PROXY: raw });
        } catch (err) {
          expect(err, raw).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).variables, raw).toEqual(['TRUST_PROXY']);
          return;
        }
        const trust = config.http.trustProxy;
        expect(trust, raw).not.toBe(true);
        if (typeof trust !== 'object') return;
        expect(() => usable(config), raw).not.toThrow();
        const trusted = proxyMatcher(trust);
        // Each plain address listed is trusted (a CIDR's own address too, since it lies in its range).
        for (const entry of entries) {
          const address = entry.split('/')[0] ?? '';
          if (entry !== '' && ipaddr.isValid(address)) expect(trusted(address), `${entry} in ${raw}`).toBe(true);
        }
      }),
      params(runs(20_000, 1_000)),
    );
  }, TIMEOUT_MS);
});
