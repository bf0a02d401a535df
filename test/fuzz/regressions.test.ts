import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/**
 * Every input the fuzzers found that broke something, written out literally (shrunk by fast-check),
 * so that each stays fixed whatever the generators draw next time.
 */
describe('fuzz regressions: loadConfig', () => {
  it.each([
    // Seed -2046883644: HOST="\u0000" gave a Config whose landing.publicUrl (http://\u0000:4242) was no URL.
    ['HOST', { HOST: '\u0000' }],
    ['HOST', { HOST: 'a b' }],
    // DATABASE_URL and REDIS_URL were checked by prefix only; the driver then threw "Invalid URL" at connect.
    ['DATABASE_URL', { DATABASE_URL: 'postgres://a b/c' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://[::1' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:99999' }],
    ['REDIS_URL', { REDIS_URL: 'rediss://[' }],
  ])('rejects a %s that is no usable address with one ConfigError naming it', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid configuration: ${name}: `));
  });

  it.each([
    ['0.0.0.0', 'http://127.0.0.1:4242'],
    ['::', 'http://[::1]:4242'],
    // An IPv6 HOST once made http://::1:4242, which no browser or URL parser accepts.
    ['::1', 'http://[::1]:4242'],
    ['localhost', 'http://localhost:4242'],
  ])('derives a usable landing URL from HOST=%s', (host, url) => {
    const publicUrl = loadConfig({ HOST: host }).landing.publicUrl;
    expect(publicUrl).toBe(url);
    expect(new URL(publicUrl).port).toBe('4242');
  });

  it('still accepts the Unix-socket form of DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres:///fulfillment?host=/var/run/postgresql' }).databaseUrl).toContain('/var/run/postgresql');
  });
});
