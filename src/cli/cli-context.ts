import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { connectDatabase, type Database } from '../db/client.js';
import { producerConnection, workerConnection } from '../queue/redis.js';
import { postgresStep, redisStep } from '../roles/start-failure.js';

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
  redis(kind: 'producer' | 'blocking'): Promise<Redis>;
  /** Runs at the end, last added first. */
  onClose(close: () => Promise<unknown>): void;
}

export interface OpenContext extends CliContext {
  /** Some Redis connection is down: a command failing without a code failed because of it. */
  redisDown(): boolean;
  close(): Promise<void>;
}

export function openContext(fields: Pick<CliContext, 'loaded' | 'config' | 'arg' | 'extra' | 'values'>): OpenContext {
  const { config } = fields;
  const closers: (() => Promise<unknown>)[] = [];
  const redisConnections: Redis[] = [];
  return {
    ...fields,
    onClose: (close) => closers.push(close),
    async db() {
      const database = connectDatabase(config.databaseUrl, { max: 2 });
      closers.push(() => database.close());
      await postgresStep(config.databaseUrl, () => database.sql`select 1`);
      return database;
    },
    async redis(kind) {
      const r = kind === 'producer' ? producerConnection(config.redisUrl) : workerConnection(config.redisUrl);
      r.on('error', () => undefined);
      redisConnections.push(r);
      closers.push(async () => r.disconnect());
      await redisStep(r, config.redisUrl, 3000);
      return r;
    },
    redisDown: () => redisConnections.some((r) => r.status !== 'ready'),
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** No arguments beyond the command's own. */
export function noExtra(rest: readonly string[], usage: string): void {
  if (rest.length > 0) throw new Exit(2, `unexpected argument(s): ${rest.join(' ')}\n${usage}`);
}
