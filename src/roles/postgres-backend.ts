import pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Config } from '../config/index.js';
import { pgFlags } from '../db/pg-flags.js';
import { gatedPool, postgresBull } from '../queue/bull.js';
import { bullPrefix } from '../queue/contract.js';
import { pgLink } from '../queue/pg-link.js';
import { pgAnnouncer, pgSignalSource } from '../queue/pg-signals.js';
import { PgSpacedPermits } from '../stripe/pg-spaced-permits.js';
import type { BackendOptions, QueueBackend } from './queue-backend.js';
import { postgresStep } from './start-failure.js';

/** Connections of the pool that keeps the fleet's counts (budget, caps, memories): one statement each. */
const STATE_POOL_MAX = 2;
/** Idle connections close soon: Postgres's max_connections is shared by every process of the fleet. */
const IDLE_MS = 2000;

/**
 * QUEUE_BACKEND=postgres: BullMQ's PostgreSQL backend in DATABASE_URL's database (schema `bullmq`), and the
 * fleet's counts in tables of ours; REDIS_URL is never opened. Two pools (node-postgres, which BullMQ needs):
 * - the queue's, shared by every Queue, Worker and QueueEvents of the process, with `search_path=bullmq`
 *   (BullMQ sets it only on pools it makes itself, and makes one per instance);
 * - the counts', with `synchronous_commit=off`: a crash may lose their last commits, which costs at most a
 *   few extra lookups or a forgotten login failure, never a job (the queue's pool stays durable).
 */
export function postgresQueueBackend(config: Config, opts: BackendOptions): QueueBackend {
  // The producer fails fast (a 503 Stripe retries), as its Redis connection does.
  const connectionTimeoutMillis = opts.role === 'producer' ? 1000 : 5000;
  // synchronous_commit=off: a commit returns before its WAL reaches the disk, so a Postgres crash may lose the
  // last fraction of a second of queue writes, acknowledged webhooks' jobs included. Reconciliation finds
  // those sessions again (it lists Stripe's and fulfills what Postgres lacks: the same path as a Redis
  // FLUSHALL, proven by reconcile.test.ts and the proof's queue-data-lost), and the fulfillment's own
  // transaction (the app's pool) stays durable. docs/reliability.md says so; docs/benchmarks.md measures it.
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: opts.poolMax,
    options: '-c search_path=bullmq -c synchronous_commit=off',
    connectionTimeoutMillis,
    idleTimeoutMillis: IDLE_MS,
  });
  pool.on('error', (err) => {
    if (opts.started()) opts.log.warn({ err: err.message }, 'postgres queue connection error');
  });
  const state = new pg.Pool({ connectionString: config.databaseUrl, max: STATE_POOL_MAX, options: '-c synchronous_commit=off', connectionTimeoutMillis, idleTimeoutMillis: IDLE_MS });
  state.on('error', () => undefined);
  // Every BullMQ instance adds its own 'error' listener to the shared pool.
  pool.setMaxListeners(100);
  // BullMQ's classes see the pool only once `check` (after the migrations) opens it: see gatedPool.
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const link = pgLink(pool);
  const flags = pgFlags(state);
  const bull = postgresBull(gatedPool(pool, opened), bullPrefix(config.queue.prefix));
  return {
    kind: 'postgres',
    bull,
    link,
    budget: { permits: new PgSpacedPermits(state), flags },
    limits: {
      flags,
      // Our migration made the table (db/schema.ts rateLimits): the limiter creates none.
      limiter: (s) => new RateLimiterPostgres({ storeClient: state, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, ...s }),
    },
    announceFinished: pgAnnouncer(state),
    signalSource: () =>
      pgSignalSource(() => {
        const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis });
        return client;
      }),
    readiness: {
      name: 'queue',
      ping: async () => {
        await pool.query('select 1');
      },
    },
    migratesBullmq: true,
    check: async () => {
      await postgresStep(config.databaseUrl, () => pool.query('select 1'));
      open();
      // Every queue and worker asks for BullMQ's schema now, while Postgres answers (see Bull.ready).
      await postgresStep(config.databaseUrl, () => bull.ready());
    },
    async close() {
      // A role stopped before it started: nothing waits at the gate any more.
      open();
      link.stop();
      await Promise.all([pool.end(), state.end()]);
    },
  };
}
