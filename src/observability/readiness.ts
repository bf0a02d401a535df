import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import { pendingMigrations } from '../db/migrate.js';

export interface ReadinessDeps {
  readonly sql: postgres.Sql;
  readonly redis: Redis;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<'postgres' | 'redis' | 'migrations', string>;
}

const CHECK_TIMEOUT_MS = 1000;

/** Postgres and Redis reachable, every migration applied. Each check answers within a second. */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const [postgresCheck, redisCheck, migrations] = await Promise.all([
    check(async () => {
      await deps.sql`select 1`;
    }),
    check(async () => {
      await deps.redis.ping();
    }),
    check(async () => {
      const pending = await pendingMigrations(deps.sql);
      if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
    }),
  ]);
  const checks = { postgres: postgresCheck, redis: redisCheck, migrations };
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}

async function check(run: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}
