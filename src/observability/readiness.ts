import type { Logger } from 'pino';
import type postgres from 'postgres';

export interface ReadinessDeps {
  readonly sql: postgres.Sql;
  /** The queue's store: `redis` (REDIS_URL), or `queue` (BullMQ's schema in DATABASE_URL's database). */
  readonly queue: QueueCheck;
  /** How many migrations are not applied yet (db/migrate.ts's `pendingMigrations`, handed in by the role: observability imports no adapter). */
  readonly pendingMigrations: (sql: postgres.Sql) => Promise<number>;
  /** Where a failing check's error text goes; the HTTP answer names only the variable. */
  readonly log?: Logger;
}

export interface QueueCheck {
  readonly name: 'redis' | 'queue';
  ping(): Promise<void>;
}

type CheckName = 'postgres' | 'redis' | 'queue' | 'migrations';

export interface Readiness {
  readonly ready: boolean;
  /** `ok`, or `failed (VARIABLE)`: which setting points at the failing dependency. */
  readonly checks: Partial<Record<CheckName, string>>;
}

const CHECK_TIMEOUT_MS = 1000;

/** What an operator looks at when a check fails. Error texts stay in the log: they can hold addresses and internals. */
const POINTS_AT: Record<CheckName, string> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  queue: 'DATABASE_URL',
  migrations: 'npm run db:migrate',
};

/** Postgres and the queue's store reachable, every migration applied. Each check answers within a second. */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const [postgresCheck, queueCheck, migrations] = await Promise.all([
    check(deps, 'postgres', async () => {
      await deps.sql`select 1`;
    }),
    check(deps, deps.queue.name, () => deps.queue.ping()),
    check(deps, 'migrations', async () => {
      const pending = await deps.pendingMigrations(deps.sql);
      if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
    }),
  ]);
  const checks = { postgres: postgresCheck, [deps.queue.name]: queueCheck, migrations };
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}

async function check(deps: ReadinessDeps, name: CheckName, run: () => Promise<void>): Promise<string> {
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
    deps.log?.warn({ check: name, variable: POINTS_AT[name], err: err instanceof Error ? err.message : String(err) }, 'readiness check failed');
    return `failed (${POINTS_AT[name]})`;
  } finally {
    clearTimeout(timer);
  }
}
