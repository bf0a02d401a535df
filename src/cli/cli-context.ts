import type { Config } from '../config/index.js';
import { connectDatabase, type Database } from '../db/client.js';
import type { Bull } from '../queue/bull.js';
import { openQueueBackend, type QueueBackend } from '../roles/queue-backend.js';
import { postgresStep } from '../roles/start-failure.js';
import { createLogger } from '../logger.js';

/** A command's failure with the CLI's exit code (2 bad arguments, 1 not found or failed). */
export class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What one command gets: its arguments, the configuration, and connections opened on first use and closed at the end. */
export interface CliContext {
  /** The configuration as loaded (before the local emulator was filled in): tells whether that emulator is meant. */
  readonly loaded: Config;
  readonly config: Config;
  readonly arg: string | undefined;
  readonly extra: readonly string[];
  readonly values: {
    readonly since?: string | undefined;
    readonly wait?: string | undefined;
    readonly account?: string | undefined;
    readonly amount?: string | undefined;
    readonly items?: string | undefined;
    readonly reason?: string | undefined;
  };
  db(): Promise<Database>;
  /** The queues (QUEUE_BACKEND): `producer` fails fast; `blocking` waits (QueueEvents). */
  queues(kind: 'producer' | 'blocking'): Promise<Bull>;
  /** Runs at the end, last added first. */
  onClose(close: () => Promise<unknown>): void;
}

export interface OpenContext extends CliContext {
  /** Some queue connection is down: a command failing without a code failed because of it. */
  queueDown(): boolean;
  close(): Promise<void>;
}

export function openContext(fields: Pick<CliContext, 'loaded' | 'config' | 'arg' | 'extra' | 'values'>): OpenContext {
  const { config } = fields;
  const closers: (() => Promise<unknown>)[] = [];
  const backends: QueueBackend[] = [];
  return {
    ...fields,
    onClose: (close) => closers.push(close),
    async db() {
      const database = connectDatabase(config.databaseUrl, { max: 2 });
      closers.push(() => database.close());
      await postgresStep(config.databaseUrl, () => database.sql`select 1`);
      return database;
    },
    async queues(kind) {
      const backend = openQueueBackend(config, { role: kind === 'producer' ? 'producer' : 'worker', log: createLogger('silent', 'cli'), started: () => false, poolMax: 3 });
      backends.push(backend);
      closers.push(() => backend.close());
      await backend.check();
      return backend.bull;
    },
    queueDown: () => backends.some((b) => b.link.status !== 'ready'),
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** No arguments beyond the command's own. */
export function noExtra(rest: readonly string[], usage: string): void {
  if (rest.length > 0) throw new Exit(2, `unexpected argument(s): ${rest.map((a) => JSON.stringify(a)).join(' ')}\n${usage}`);
}
