import type { Logger } from 'pino';
import type { FleetLimits } from '../api/fleet-limits.js';
import type { Config } from '../config/index.js';
import type { QueueCheck } from '../observability/readiness.js';
import type { LinkState } from '../observability/worker-error-log.js';
import type { Bull } from '../queue/bull.js';
import type { AnnounceFinished, SignalSource } from '../queue/finished-signals.js';
import type { BudgetStore } from '../stripe/rate-budget.js';
import { postgresQueueBackend } from './postgres-backend.js';
import { redisQueueBackend } from './redis-backend.js';

/**
 * Everything a process keeps outside its own memory but Postgres's tables: the queues, and what the fleet
 * counts together (the Stripe budget, the landing caps and memories, the login lockout, the "run finished"
 * signal). QUEUE_BACKEND picks Redis (redis-backend.ts) or Postgres (postgres-backend.ts) once, here; the
 * rest of the code sees only these interfaces.
 */
export interface QueueBackend {
  readonly kind: Config['queueBackend'];
  readonly bull: Bull;
  /** The queue's connection state, for how worker errors are logged. */
  readonly link: LinkState;
  readonly budget: BudgetStore;
  readonly limits: FleetLimits;
  readonly announceFinished: AnnounceFinished;
  /** The api's subscription to the workers' announcements (a connection of its own, opened by `listen`). */
  signalSource(): SignalSource;
  readonly readiness: QueueCheck;
  /** Whether BullMQ's schema must be migrated with ours (db/migrate.ts). */
  readonly migratesBullmq: boolean;
  /** The start-up check: answers, or throws a StartError naming the variable. After the migrations. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** `producer` (api, CLI): fails fast, so an outage is a 503; `worker`: waits for the store forever. */
  readonly role: 'producer' | 'worker';
  readonly log: Logger;
  /** Whether the process finished starting: before that, the start-up check owns the report of an outage. */
  readonly started: () => boolean;
  /** Connections for BullMQ on Postgres: the role's queries plus one LISTEN per Worker and QueueEvents. */
  readonly poolMax: number;
}

export function openQueueBackend(config: Config, opts: BackendOptions): QueueBackend {
  return config.queueBackend === 'postgres' ? postgresQueueBackend(config, opts) : redisQueueBackend(config, opts);
}
