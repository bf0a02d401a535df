import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
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
  STRIPE_MAX_RPS: ['90'],
  STRIPE_ENDPOINT_MAX_RPS: ['24'],
  SMTP_URL: ['smtp://user:pass@mail.example.com:587'],
  MAIL_FROM: ['Shop <orders@example.com>'],
  CALLBACK_URLS: ['https://app.example.com/hook'],
  CALLBACK_SECRET: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  EFFECT_BACKOFF_MS: ['1000'],
  EFFECT_RETRY_HORIZON: ['72h'],
  TRUST_PROXY: ['true', '2', '10.0.0.0/8, 192.168.1.1'],
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
}

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
});
