import { connect } from 'node:net';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { StartError } from './start-failure.js';

/** What `npm start` / `npm run demo` run on: the config they continue with, and what to stop at the end. */
export interface LocalServices {
  readonly config: Config;
  /** Stops the embedded Postgres, when one was started; a no-op otherwise. */
  stop(): Promise<void>;
}

/**
 * Outside production, `npm start` and `npm run demo` need no server of their own: without DATABASE_URL and
 * with nothing at the default address they start an embedded Postgres on LOCAL_DATA_DIR/postgres (kept for
 * the next start), and without REDIS_URL and with nothing at the default Redis address they put the queues
 * on Postgres (QUEUE_BACKEND=postgres). Logs what it chose and why, as the process's first line. Production
 * never starts anything: it runs on what the configuration names.
 */
export async function chooseLocalServices(config: Config, log: Logger): Promise<LocalServices> {
  const local = config.nodeEnv !== 'production';
  const pgAnswers = !local || config.given.databaseUrl || (await answers(config.databaseUrl, 5432));
  const queuesOnPostgres = postgresQueuesSet(config);
  const redisAnswers = !local || config.given.redisUrl || queuesOnPostgres || (await answers(config.redisUrl, 6379));
  const pgAt = hostPort(config.databaseUrl, 5432);
  const redisAt = hostPort(config.redisUrl, 6379);
  const why = {
    postgres: config.given.databaseUrl ? 'Postgres at DATABASE_URL' : pgAnswers ? `no DATABASE_URL: the Postgres at ${pgAt}` : `no DATABASE_URL and nothing at ${pgAt}: an embedded Postgres`,
    queues: queuesOnPostgres ? 'queues on Postgres (QUEUE_BACKEND)' : config.given.redisUrl ? 'queues on Redis at REDIS_URL' : redisAnswers ? `no REDIS_URL: queues on the Redis at ${redisAt}` : `no REDIS_URL and nothing at ${redisAt}: queues on Postgres`,
  };
  let embedded: EmbeddedPostgres | undefined;
  let chosen = config;
  if (!pgAnswers) {
    const dataDir = join(config.localDataDir, 'postgres');
    log.info({ postgres: why.postgres, queues: why.queues, dataDir }, `starting an embedded Postgres in ${shown(dataDir)} (${why.postgres}; ${why.queues})`);
    embedded = await startEmbedded(dataDir, log);
    chosen = { ...chosen, databaseUrl: embedded.url(new URL(config.databaseUrl).pathname.slice(1) || 'fulfillment') };
  } else {
    log.info({ postgres: why.postgres, queues: why.queues }, `using ${why.postgres}; ${why.queues}`);
  }
  if (!redisAnswers) chosen = withPostgresQueues(chosen);
  const stop = embedded === undefined ? async () => undefined : embedded.stop;
  return { config: Object.freeze(chosen), stop };
}

async function startEmbedded(dataDir: string, log: Logger): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  try {
    const pg = await startEmbeddedPostgres({
      dataDir,
      onLog: (line) => log.debug({ postgres: line }, 'embedded Postgres'),
      onOrphan: (pid) => log.warn({ pid, dataDir }, 'stopping the embedded Postgres an earlier start left running'),
    });
    log.info({ port: pg.port, created: pg.created, ms: Date.now() - t0 }, pg.created ? 'embedded Postgres created and started' : 'embedded Postgres started on its kept data');
    return pg;
  } catch (err) {
    throw new StartError({
      code: 'embedded_postgres_failed',
      variable: 'LOCAL_DATA_DIR',
      cause: err instanceof Error ? err.message : 'the embedded Postgres did not start',
      fix: `set DATABASE_URL to a Postgres, or remove ${shown(dataDir)} to start with a new, empty one`,
    });
  }
}

/**
 * The queues on Postgres, as QUEUE_BACKEND=postgres puts them: no Redis connection at all. Spread in, so
 * that this file builds with and without the backend switch in the config (they were built side by side).
 */
const POSTGRES_QUEUES = { queueBackend: 'postgres' } as const;

function withPostgresQueues(config: Config): Config {
  return { ...config, ...POSTGRES_QUEUES };
}

/** QUEUE_BACKEND=postgres set: the queues need no Redis, whatever answers at its address. */
function postgresQueuesSet(config: Config): boolean {
  return 'queueBackend' in config && config.queueBackend === POSTGRES_QUEUES.queueBackend;
}

/** Whether something accepts a TCP connection at the URL's host and port within a moment. */
function answers(url: string, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hostPort(url: string, defaultPort: number): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || defaultPort}`;
}

/** A path as a person finds it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}
