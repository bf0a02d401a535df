import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedPostgres } from '../../src/roles/embedded-postgres.js';
import { freePort } from './ports.js';

/** A server the tests use: where it is, where it came from (for the run's first line), and how to let it go. */
export interface TestService {
  readonly url: string;
  readonly from: string;
  stop(): Promise<void>;
}

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

/**
 * The Postgres server the tests make their databases on (an admin URL: database `postgres`):
 * TEST_DATABASE_ADMIN_URL, else DATABASE_URL's server, else the default address when something answers
 * there, else an embedded Postgres in a temp folder, started here and stopped after the run.
 */
export async function testPostgres(env: NodeJS.ProcessEnv): Promise<TestService> {
  const none = async () => undefined;
  if (env.TEST_DATABASE_ADMIN_URL) return { url: env.TEST_DATABASE_ADMIN_URL, from: 'TEST_DATABASE_ADMIN_URL', stop: none };
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    url.pathname = '/postgres';
    return { url: url.toString(), from: 'DATABASE_URL', stop: none };
  }
  if (await answers(5432)) return { url: DEFAULT_POSTGRES, from: 'the default address', stop: none };
  const dir = mkdtempSync(join(tmpdir(), 'fulfillment-test-pg-'));
  chmodSync(dir, 0o755); // as root, the embedded Postgres runs as the `postgres` user
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres') });
  return {
    url: pg.url('postgres'),
    from: `an embedded Postgres (nothing at 127.0.0.1:5432), port ${pg.port}`,
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Redis the tests use: TEST_REDIS_URL, else REDIS_URL, else the default address when something answers
 * there, else `redis-server` from the PATH on a spare port, started here; undefined when there is none.
 */
export async function testRedis(env: NodeJS.ProcessEnv): Promise<TestService | undefined> {
  const none = async () => undefined;
  if (env.TEST_REDIS_URL) return { url: env.TEST_REDIS_URL, from: 'TEST_REDIS_URL', stop: none };
  if (env.REDIS_URL) return { url: env.REDIS_URL, from: 'REDIS_URL', stop: none };
  if (await answers(6379)) return { url: DEFAULT_REDIS, from: 'the default address', stop: none };
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  for (let i = 0; i < 100 && !(await answers(port)); i++) await sleep(50);
  return {
    url: `redis://127.0.0.1:${port}`,
    from: `redis-server on port ${port} (nothing at 127.0.0.1:6379)`,
    async stop() {
      process.off('exit', kill);
      kill();
    },
  };
}

export const NO_REDIS =
  'npm test needs Redis: nothing answers at 127.0.0.1:6379, REDIS_URL is unset and there is no redis-server on the PATH; install one (apt-get install redis-server, brew install redis) or set REDIS_URL';

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
