import {
  Queue,
  QueueEvents,
  Worker,
  createPostgresBackend,
  createRedisBackend,
  type BackendFactory,
  type ConnectionOptions,
  type IQueueBackend,
  type JobProgress,
  type PgPool,
  type PgPoolClient,
  type PgQueryResult,
  type PostgresConnectionOptions,
  type Processor,
  type QueueOptions,
  type WorkerOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';

/** What BullMQ's classes are given as `connection`: a Redis client, or a `pg.Pool` for the PostgreSQL backend. */
export type QueueConnection = ConnectionOptions | PostgresConnectionOptions;

/** BullMQ's classes typed for either backend (their defaults are Redis-only types). */
export type BullQueue<D, R, N extends string> = Queue<D, R, N, D, R, N, IQueueBackend, QueueConnection>;
export type BullWorker<D, R, N extends string> = Worker<D, R, N, IQueueBackend, JobProgress, QueueConnection>;
export type BullEvents = QueueEvents<unknown, IQueueBackend, QueueConnection>;

/**
 * Where BullMQ keeps the queues, as the one thing every producer and consumer builds its Queue, Worker and
 * QueueEvents from: the role factories pick Redis or Postgres once (QUEUE_BACKEND), and no other module
 * knows which. https://docs.bullmq.io/guide/postgresql
 */
export interface Bull {
  readonly kind: 'redis' | 'postgres';
  /** The key prefix (Redis; the PostgreSQL backend ignores it: its schema is the namespace). */
  readonly prefix: string;
  queue<D, R, N extends string>(name: string, opts?: Omit<QueueOptions, 'connection' | 'prefix'>): BullQueue<D, R, N>;
  worker<D, R, N extends string>(name: string, processor: Processor<D, R, N>, opts: Omit<WorkerOptions, 'connection' | 'prefix'>): BullWorker<D, R, N>;
  events(name: string): BullEvents;
  /**
   * Resolves once every instance built so far is ready. On Postgres each instance checks BullMQ's schema
   * once and keeps the answer for good, a failure included: one first used during an outage would stay
   * broken after it. The role asks here at start, while Postgres answers, so that none is first asked later.
   */
  ready(): Promise<void>;
}

function bull(connection: QueueConnection, kind: Bull['kind'], prefix: string, factory: BackendFactory<IQueueBackend, QueueConnection>): Bull {
  const built: { waitUntilReady(): Promise<unknown> }[] = [];
  const keep = <T extends { waitUntilReady(): Promise<unknown> }>(instance: T): T => {
    built.push(instance);
    return instance;
  };
  return {
    kind,
    prefix,
    queue: <D, R, N extends string>(name: string, opts: Omit<QueueOptions, 'connection' | 'prefix'> = {}) =>
      keep(new Queue<D, R, N, D, R, N, IQueueBackend, QueueConnection>(name, { ...opts, connection, prefix }, factory)),
    worker: <D, R, N extends string>(name: string, processor: Processor<D, R, N>, opts: Omit<WorkerOptions, 'connection' | 'prefix'>) =>
      keep(new Worker<D, R, N, IQueueBackend, JobProgress, QueueConnection>(name, processor, { ...opts, connection, prefix }, factory)),
    events: (name) => keep(new QueueEvents<unknown, IQueueBackend, QueueConnection>(name, { connection, prefix }, factory)),
    ready: async () => {
      await Promise.all(built.map((b) => b.waitUntilReady()));
    },
  };
}

/** On Redis: BullMQ duplicates the connection for each worker's blocking reads. `prefix` is the braced one (contract.ts). */
export function redisBull(connection: Redis, prefix: string): Bull {
  // The factory binds the connection it was given: BullMQ's typings tie a class to one connection type.
  return bull(connection, 'redis', prefix, (name, opts, o) => createRedisBackend(name, { ...opts, connection }, o));
}

/**
 * On Postgres: one shared pool for every queue, worker and queue-events of the process (the config form
 * opens a pool per instance). Each Worker and QueueEvents checks one LISTEN client out of it for good, so
 * the pool is sized for those plus the queries (roles/postgres-backend.ts). The pool's connections carry
 * `search_path=bullmq`: BullMQ cannot set it on a pool it did not make.
 */
export function postgresBull(pool: PgPool, prefix: string): Bull {
  return bull(pool, 'postgres', prefix, (name, opts, o) => createPostgresBackend(name, { ...opts, connection: pool }, o));
}

/**
 * The pool as BullMQ sees it, held shut until `opened` resolves (the role's start, after the migrations).
 * Why: every Queue and Worker asks at construction, once and for good, whether BullMQ's schema is there;
 * built before the migrations (as a role builds its graph), they would stay broken (SchemaMigrationRequiredError,
 * or a worker spinning on errors). Held shut, their first question waits until the answer is yes.
 */
export function gatedPool(pool: pg.Pool, opened: Promise<void>): PgPool {
  const gated: PgPool = {
    connect: async () => {
      await opened;
      return pool.connect();
    },
    query: async <R>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> => {
      await opened;
      const result = await pool.query(text, params === undefined ? undefined : [...params]);
      return { rows: result.rows as R[], rowCount: result.rowCount };
    },
    end: () => pool.end(),
    // BullMQ listens for 'error' only (an idle client that dropped); nothing it asks of 'connect'.
    on(event: string, listener: ((err: Error) => void) | ((client: PgPoolClient) => void)) {
      if (event === 'error') pool.on('error', (err) => (listener as (err: Error) => void)(err));
      return gated;
    },
    removeAllListeners(event?: string) {
      pool.removeAllListeners(event);
      return gated;
    },
  };
  return gated;
}
