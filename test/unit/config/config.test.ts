import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireStripe } from '../../../src/config/index.js';

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('postgres://postgres:postgres@127.0.0.1:5432/fulfillment');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    // Defaults, not given: `npm start` may then choose an embedded Postgres or the Postgres queues.
    expect(c.given).toEqual({ databaseUrl: false, redisUrl: false });
    expect(loadConfig({ DATABASE_URL: 'postgres://a@b/c', REDIS_URL: 'redis://r:1' }).given).toEqual({ databaseUrl: true, redisUrl: true });
    expect(c.localDataDir).toBe('.data');
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 4242, trustProxy: false });
    expect(c.worker.concurrency).toBe(25);
    expect(c.queue.prefix).toBe('fulfillment');
    expect(c.queueBackend).toBe('redis');
    expect(loadConfig({ QUEUE_BACKEND: 'postgres' }).queueBackend).toBe('postgres');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.stripe)).toBe(true);
  });

  it('splits comma-separated webhook secrets and derives the mode from the key', () => {
    const c = loadConfig({ STRIPE_SECRET_KEY: 'sk_live_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_aaaaaaaaaa, whsec_bbbbbbbbbb' });
    expect(c.stripe.webhookSecrets).toEqual(['whsec_aaaaaaaaaa', 'whsec_bbbbbbbbbb']);
    expect(c.stripe.livemode).toBe(true);
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc123' }).stripe.livemode).toBe(false);
  });

  it('gives the landing page a share of the retrieve budget, and the order page a secret window', () => {
    // Test mode: min(20 in all, 24 per endpoint) × 0.25 → 5 lookups/s; live: min(90, 24) × 0.25 → 6.
    expect(loadConfig({}).landing).toMatchObject({ lookupsPerSecond: 5, lookupsPerClientPerMinute: 10, recheckMs: 30_000, secretWindowMs: 3_600_000 });
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_live_abc123' }).landing.lookupsPerSecond).toBe(6);
    expect(loadConfig({ STRIPE_MAX_RPS: '3', LANDING_STRIPE_SHARE: '0.1' }).landing.lookupsPerSecond).toBe(1);
    expect(loadConfig({ ORDER_PAGE_SECRET_WINDOW: '15m', LANDING_RECHECK_INTERVAL: '2m' }).landing).toMatchObject({ secretWindowMs: 900_000, recheckMs: 120_000 });
    expect(() => loadConfig({ LANDING_STRIPE_SHARE: '1.5' })).toThrow(/LANDING_STRIPE_SHARE: at most 1/);
    expect(() => loadConfig({ ORDER_PAGE_SECRET_WINDOW: 'forever' })).toThrow(/ORDER_PAGE_SECRET_WINDOW/);
  });

  it('parses STRIPE_API_BASE as a URL', () => {
    expect(loadConfig({ STRIPE_API_BASE: 'http://127.0.0.1:12111' }).stripe.apiBase?.port).toBe('12111');
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['WORKER_CONCURRENCY', { WORKER_CONCURRENCY: '0' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'pk_test_123' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_WEBHOOK_SECRET: 'secret' }],
    ['STRIPE_API_BASE', { STRIPE_API_BASE: 'ftp://x' }],
    ['QUEUE_PREFIX', { QUEUE_PREFIX: 'a:b' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['QUEUE_BACKEND', { QUEUE_BACKEND: 'kafka' }],
  ])('names %s when it is malformed', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('requires the Stripe settings in production, naming each missing one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/STRIPE_SECRET_KEY: required in production; STRIPE_WEBHOOK_SECRET: required/);
    // docker-compose.yml runs NODE_ENV=production and its proxy publishes the api: /metrics needs its token.
    const keys = { NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_aaaaaaaaaa' };
    expect(() => loadConfig(keys)).toThrow(/METRICS_TOKEN: required in production \(at least 16 characters; \/metrics would be public without it\)/);
    expect(loadConfig({ ...keys, METRICS_TOKEN: 'metrics-token-0123456789' }).ops.metricsToken).toBe('metrics-token-0123456789');
  });

  it('parses durations, RECONCILE_INTERVAL=off, and the Stripe budget defaults by key mode', () => {
    const c = loadConfig({ RECONCILE_INTERVAL: 'off', RECONCILE_LOOKBACK: '3d', STRIPE_SECRET_KEY: 'sk_live_1' });
    expect(c.reconcile).toEqual({ intervalMs: 0, lookbackMs: 3 * 86_400_000 });
    expect(c.stripe.maxRps).toBe(90);
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1' }).stripe.maxRps).toBe(20);
    expect(loadConfig({}).reconcile.intervalMs).toBe(600_000);
    expect(() => loadConfig({ RECONCILE_INTERVAL: 'often' })).toThrow(/RECONCILE_INTERVAL: a duration/);
  });

  it('keeps the order history ORDER_HISTORY_DAYS days: 90 by default, a whole number from 1 to 3650', () => {
    expect(loadConfig({}).ops.historyDays).toBe(90);
    expect(loadConfig({ ORDER_HISTORY_DAYS: '30' }).ops.historyDays).toBe(30);
    for (const bad of ['0', '3651', '1.5', 'ninety', '-3']) {
      expect(() => loadConfig({ ORDER_HISTORY_DAYS: bad })).toThrow(/ORDER_HISTORY_DAYS/);
    }
  });

  it('wants both admin credentials or neither, and a long enough password', () => {
    expect(loadConfig({}).ops.admin).toBeUndefined();
    expect(loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'correct-horse-battery' }).ops.admin).toEqual({
      username: 'ops',
      password: 'correct-horse-battery',
      readonly: false,
    });
    expect(() => loadConfig({ ADMIN_USERNAME: 'ops' })).toThrow(/ADMIN_USERNAME and ADMIN_PASSWORD: set both or neither/);
    expect(() => loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD: at least 12/);
  });

  it('reads TRUST_PROXY as false, a hop count or proxy addresses/CIDRs, and refuses true with what to give instead', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, fd00::/8' }).http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).http.trustProxy).toEqual(['127.0.0.0/8', '::1/128']);
    // Found by the config fuzzer: an IPv4-mapped address is its IPv4 address (peers are compared so); names are not properties.
    expect(loadConfig({ TRUST_PROXY: '::ffff:10.0.0.1, ::ffff:10.0.0.0/104' }).http.trustProxy).toEqual(['10.0.0.1/32', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'constructor' })).toThrow(/TRUST_PROXY: "constructor" is not an IP address or CIDR/);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would let every client pick its own address.*give your proxies' addresses or CIDRs/);
    for (const bad of ['everyone', '10.0.0.0/33', '10.0.0.1,1', '0x1', '010.0.0.1', '10.0.0.1/8/8', '11', '10.0.0.1, nope', ',']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY:/);
    }
  });

  it('reads the listener timeouts and the per-client connection cap, each validated', () => {
    expect(loadConfig({}).http).toMatchObject({ limits: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 }, maxConnectionsPerClient: 256 });
    const c = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '3000', HTTP_MAX_CONNECTIONS_PER_CLIENT: '0' });
    expect(c.http).toMatchObject({ limits: { headersTimeoutMs: 2000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 3000 }, maxConnectionsPerClient: 0 });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS:/);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS: at most HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS_PER_CLIENT: '-1' })).toThrow(/HTTP_MAX_CONNECTIONS_PER_CLIENT:/);
  });

  it('reads the effect settings: SMTP_URL, MAIL_FROM, comma-separated CALLBACK_URLS and CALLBACK_SECRET', () => {
    expect(loadConfig({}).effects).toMatchObject({ smtpUrl: undefined, mailFrom: 'Orders <orders@localhost>', callbackUrls: [], callbackSecrets: [] });
    const c = loadConfig({
      SMTP_URL: 'smtp://user:pass@mail.example.com:587',
      MAIL_FROM: 'Shop <orders@shop.example>',
      CALLBACK_URLS: 'https://a.example/hooks, http://127.0.0.1:9000/x',
      CALLBACK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    });
    expect(c.effects).toMatchObject({
      smtpUrl: 'smtp://user:pass@mail.example.com:587',
      mailFrom: 'Shop <orders@shop.example>',
      callbackUrls: ['https://a.example/hooks', 'http://127.0.0.1:9000/x'],
      callbackSecrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'],
    });
  });

  it('reads the outbox delivery settings, with their defaults', () => {
    expect(loadConfig({}).effects).toMatchObject({ backoffMs: 1000, retryHorizonMs: 72 * 3_600_000, attemptTimeoutMs: 35_000, concurrency: 50 });
    const c = loadConfig({ EFFECT_BACKOFF_MS: '250', EFFECT_RETRY_HORIZON: '2h', EFFECT_TIMEOUT_MS: '5000', EFFECT_CONCURRENCY: '8' });
    expect(c.effects).toMatchObject({ backoffMs: 250, retryHorizonMs: 7_200_000, attemptTimeoutMs: 5000, concurrency: 8 });
  });

  it.each([
    ['SMTP_URL', { SMTP_URL: 'mail.example.com:587' }],
    ['SMTP_URL', { SMTP_URL: 'http://mail.example.com' }],
    ['MAIL_FROM', { MAIL_FROM: 'Shop <orders@shop.example>\r\nBcc: x@evil.example' }],
    ['CALLBACK_URLS', { CALLBACK_URLS: 'https://ok.example/a,not a url', CALLBACK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
    ['CALLBACK_URLS', { CALLBACK_URLS: 'ftp://files.example/x', CALLBACK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
    ['CALLBACK_URLS', { CALLBACK_URLS: 'https://user:pass@ok.example/a', CALLBACK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
    ['CALLBACK_SECRET', { CALLBACK_URLS: 'https://ok.example/a', CALLBACK_SECRET: 'hunter2' }],
    ['CALLBACK_SECRET', { CALLBACK_URLS: 'https://ok.example/a', CALLBACK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_short' }],
    ['CALLBACK_SECRET', { CALLBACK_URLS: 'https://ok.example/a' }],
    ['EFFECT_TIMEOUT_MS', { EFFECT_TIMEOUT_MS: '10' }],
    ['EFFECT_CONCURRENCY', { EFFECT_CONCURRENCY: 'many' }],
    ['EFFECT_RETRY_HORIZON', { EFFECT_RETRY_HORIZON: '3 days' }],
  ])('stops on a malformed %s, naming it in one line', (name, env) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(new RegExp(`^invalid configuration: .*${name}: `));
    expect(message).not.toContain('\n');
    expect(message).not.toContain('pass@ok.example');
  });

  it('requireStripe names what is missing outside production', () => {
    expect(() => requireStripe(loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1' }))).toThrow(/STRIPE_WEBHOOK_SECRET: required/);
  });
});
