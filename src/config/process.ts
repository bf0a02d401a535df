import { z } from 'zod';
import { int } from './values.js';

/** What every process needs: where Postgres and Redis are, how it logs, how long it may take to stop. */
export const processVariables = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // A URL parser, not a prefix check: 'postgres://a b/c' once passed and then crashed the driver at connect.
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional(),
  DATABASE_POOL_MAX: int(1, 1000).optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  /** Where BullMQ keeps the queues: Redis, or DATABASE_URL's database (BullMQ 6's PostgreSQL backend, schema `bullmq`; no Redis at all). */
  QUEUE_BACKEND: z.enum(['redis', 'postgres'], { error: 'redis or postgres' }).default('redis'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).optional(),
  /** The older, worker-only name of SHUTDOWN_TIMEOUT_MS; still read when SHUTDOWN_TIMEOUT_MS is unset. */
  WORKER_SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).optional(),
  EMULATOR_PORT: int(0, 65535).default(12111),
  /** Outside production, where `npm start` and `npm run demo` keep what they run themselves (the embedded Postgres). */
  LOCAL_DATA_DIR: z.string().min(1).default('.data'),
};

/** The addresses used when DATABASE_URL or REDIS_URL is unset: a server on this machine, as docker compose runs them. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/fulfillment';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

type Env = z.infer<z.ZodObject<typeof processVariables>>;

export interface ProcessConfig {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly databaseUrl: string;
  /** Whether DATABASE_URL and REDIS_URL were set, or are the defaults (`npm start` may then choose local services). */
  readonly given: { readonly databaseUrl: boolean; readonly redisUrl: boolean };
  /** LOCAL_DATA_DIR as given (relative: to the working directory, the checkout for npm scripts). */
  readonly localDataDir: string;
  /** Postgres connections per process at most; undefined: each role's default (api 10, worker min(concurrency, 20)). */
  readonly databasePoolMax: number | undefined;
  readonly redisUrl: string;
  /** `postgres`: every queue and every fleet-wide count lives in Postgres, and REDIS_URL is never opened. */
  readonly queueBackend: Env['QUEUE_BACKEND'];
  /** How long a graceful stop (SIGTERM) may take before the process exits anyway; every role. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly emulatorPort: number;
}

export function processConfig(e: Env): ProcessConfig {
  return {
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    given: { databaseUrl: e.DATABASE_URL !== undefined, redisUrl: e.REDIS_URL !== undefined },
    localDataDir: e.LOCAL_DATA_DIR,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL ?? DEFAULT_REDIS_URL,
    queueBackend: e.QUEUE_BACKEND,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS ?? e.WORKER_SHUTDOWN_TIMEOUT_MS ?? 25_000,
    logLevel: e.LOG_LEVEL,
    emulatorPort: e.EMULATOR_PORT,
  };
}
