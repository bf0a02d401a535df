import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { chooseLocalServices } from '../../../src/roles/local-services.js';
import { freePort } from '../../helpers/ports.js';

/** A logger whose lines the test reads. */
function recorder() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { log, lines };
}

/**
 * What `npm start` / `npm run demo` choose when DATABASE_URL and REDIS_URL are unset (src/roles/local-services.ts).
 * "Nothing at the default address" is a closed port here: the defaults' host with a port nobody listens on.
 */
describe('local services: embedded Postgres and the Postgres queues outside production only', () => {
  let dir: string;
  let closed: { db: string; redis: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'local-services-'));
    chmodSync(dir, 0o755);
    closed = { db: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/fulfillment`, redis: `redis://127.0.0.1:${await freePort()}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The config of an environment without DATABASE_URL and REDIS_URL, whose default addresses are closed. */
  function unset(env: Record<string, string>): Config {
    const config = loadConfig({ LOCAL_DATA_DIR: dir, ...env });
    expect(config.given).toEqual({ databaseUrl: false, redisUrl: false });
    return { ...config, databaseUrl: closed.db, redisUrl: closed.redis };
  }

  it('development: starts an embedded Postgres, puts the queues on it, and says so first', async () => {
    const { log, lines } = recorder();
    const services = await chooseLocalServices(unset({}), log);
    try {
      expect(lines[0]).toMatchObject({ postgres: expect.stringMatching(/^no DATABASE_URL and nothing at 127\.0\.0\.1:\d+: an embedded Postgres$/), queues: expect.stringMatching(/^no REDIS_URL and nothing at 127\.0\.0\.1:\d+: queues on Postgres$/), dataDir: join(dir, 'postgres') });
      expect(services.config).toMatchObject({ queueBackend: 'postgres' });
      expect(services.config.databaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/fulfillment$/);
      const sql = postgres(services.config.databaseUrl.replace(/\/fulfillment$/, '/postgres'), { max: 1, onnotice: () => {} });
      expect(await sql`select current_setting('data_directory') as dir`).toEqual([{ dir: join(dir, 'postgres') }]);
      await sql.end();
    } finally {
      await services.stop();
    }
    expect(existsSync(join(dir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('production: starts nothing and probes nothing, whatever answers', async () => {
    const { log, lines } = recorder();
    const prod = unset({ NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_test_x1', STRIPE_WEBHOOK_SECRET: 'whsec_test_primary_0123456789abcdef', METRICS_TOKEN: '0123456789abcdef', LOCAL_DATA_DIR: join(dir, 'prod') });
    const services = await chooseLocalServices(prod, log);
    await services.stop();
    expect(services.config.databaseUrl).toBe(closed.db);
    expect(services.config).not.toMatchObject({ queueBackend: 'postgres' });
    expect(lines).toHaveLength(1);
    expect(existsSync(join(dir, 'prod'))).toBe(false);
  });
});
