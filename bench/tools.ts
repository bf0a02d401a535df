/** What every bench section shares: the two implementations, processes, CPU and memory readings, tables. */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { postgresBull } from '../src/queue/bull.js';
import { FULFILLMENT_QUEUE, bullPrefix } from '../src/queue/contract.js';
import { freshDatabase, type TestDatabase } from '../test/harness.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SECRET = 'whsec_bench_0123456789abcdefghij';
export const KEY = 'sk_test_bench';
export const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** The service and the ~120-line baseline of the same contract (bench/baseline), started the same way. */
export interface Impl {
  readonly name: 'service' | 'service on Postgres' | 'baseline';
  /** Variables of its own (the Postgres backend's). */
  readonly env?: Record<string, string>;
  readonly api: string;
  readonly apiReady: string;
  readonly worker: string;
  readonly workerReady: string;
}
export const SERVICE: Impl = { name: 'service', api: 'src/entry/api.ts', apiReady: 'api listening', worker: 'src/entry/worker.ts', workerReady: 'worker started' };
/** The service with QUEUE_BACKEND=postgres: BullMQ's PostgreSQL backend, REDIS_URL at a closed port (never opened). */
export const SERVICE_PG: Impl = { ...SERVICE, name: 'service on Postgres', env: { QUEUE_BACKEND: 'postgres', REDIS_URL: 'redis://127.0.0.1:9' } };
export const BASELINE: Impl = {
  name: 'baseline',
  api: 'bench/baseline/api.ts',
  apiReady: 'baseline api listening',
  worker: 'bench/baseline/worker.ts',
  workerReady: 'baseline worker started',
};

const running: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function cleanUp(): Promise<void> {
  for (const p of running) p.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}

/** A fresh migrated database and a queue prefix of its own, both removed at the end. */
export async function scratch(): Promise<{ db: TestDatabase; prefix: string }> {
  const db = await freshDatabase();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  cleanups.push(() => obliterate(prefix), () => db.drop());
  return { db, prefix };
}

export function env(db: TestDatabase, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    REDIS_URL,
    STRIPE_SECRET_KEY: KEY,
    STRIPE_WEBHOOK_SECRET: SECRET,
    QUEUE_PREFIX: prefix,
    // The emulator enforces no limit here (the budget section measures against one); a test key's
    // default budget of 20/s would measure that budget instead of the service.
    STRIPE_MAX_RPS: '10000',
    STRIPE_ENDPOINT_MAX_RPS: '10000',
    RECONCILE_INTERVAL: 'off',
    METRICS_TOKEN,
    ...extra,
  };
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Compiles src/ into dist/ unless it is current: the service is measured as production runs it. */
export function buildService(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts an entry point as its own `node` process: the service's compiled file (`src/x.ts` → `dist/x.js`,
 * as `npm run start:*` runs it), the baseline's TypeScript through Node's own type stripping (it imports
 * only packages), anything else in bench/ through tsx. Resolves once it has printed `ready`; from then on
 * its output is drained, not kept.
 */
export async function start(entry: string, e: Record<string, string>, ready: string, nodeArgs: string[] = []): Promise<RunningProcess> {
  // A compiled .js elsewhere (another commit's dist/, the tracing section's "today") runs as it is, like dist/.
  const args = entry.startsWith('src/')
    ? [entry.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')]
    : entry.startsWith('bench/baseline/') || entry.endsWith('.js')
      ? [entry]
      : ['--import', 'tsx', entry];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: { LOG_LEVEL: 'info', ...e }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let keep = true;
  const collect = (d: Buffer) => {
    if (keep) out += d.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const p: RunningProcess = {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  running.push(p);
  const deadline = Date.now() + 60_000;
  while (!out.includes(ready)) {
    if (child.exitCode !== null) throw new Error(`${entry} exited before printing "${ready}":\n${out}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${ready}" from ${entry}:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  keep = false;
  return p;
}

/** SIGTERM, and SIGKILL for a process still running 15 s later: a hung shutdown must not hang the bench. */
export async function stop(...ps: RunningProcess[]): Promise<void> {
  for (const p of ps) p.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const p of ps) p.kill('SIGKILL');
  }, 15_000);
  await Promise.all(ps.map((p) => p.exited));
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number | undefined | string): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0; // gone meanwhile (a Postgres backend of someone else's test)
  }
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function redisPid(): string {
  return execFileSync('pgrep', ['-o', 'redis-server']).toString().trim();
}

export function postgresPids(): string[] {
  return execFileSync('pgrep', ['-x', 'postgres']).toString().trim().split('\n').filter((p) => p !== '');
}

export function peakRssMiB(pid: number | undefined): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kb / 1024).toFixed(0);
}

export type Row = Record<string, string | number>;
export function table(title: string, rows: Row[], how?: string): void {
  console.log(`\n${title}\n`);
  const cols = Object.keys(rows[0] ?? {});
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`| ${cols.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${cols.map((c) => String(r[c])).join(' | ')} |`);
  if (how !== undefined) console.log(`\n${how}`);
}

/** The service's figure over the baseline's, e.g. `0.93×`; for latencies pass lower-is-better. */
export function ratio(service: number, baseline: number): string {
  return `${(service / baseline).toFixed(2)}×`;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/** Jobs waiting to run: the plain wait list (webhook and landing runs) and the prioritized set (reconciliation's runs). */
/** Jobs waiting in the fulfillment queue of the Postgres backend (BullMQ's API on its schema in `databaseUrl`). */
export async function queueJobCountPg(databaseUrl: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, options: '-c search_path=bullmq' });
  const queue = postgresBull(pool, '').queue(FULFILLMENT_QUEUE);
  try {
    return await queue.getJobCountByTypes('wait', 'prioritized');
  } finally {
    await queue.close();
    await pool.end();
  }
}

export async function queueJobCount(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  const key = `${bullPrefix(prefix)}:${FULFILLMENT_QUEUE}`;
  const [waiting, prioritized] = await Promise.all([redis.llen(`${key}:wait`), redis.zcard(`${key}:prioritized`)]);
  await redis.quit();
  return waiting + prioritized;
}

export async function failedJobCount(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  const n = await redis.zcard(`${bullPrefix(prefix)}:${FULFILLMENT_QUEUE}:failed`);
  await redis.quit();
  return n;
}

/** Every key of `prefix`'s queues, and of prefixes made from it (ingress runs `<prefix>-service` and `<prefix>-baseline`). */
async function obliterate(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', `${bullPrefix(prefix).slice(0, -1)}*`, 'COUNT', 1000);
    cursor = c;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

export async function fulfilledCount(db: TestDatabase): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled'`;
  return row?.n ?? 0;
}

/**
 * The landing page's runs of one bench (`trigger: 'landing'`, finished or failed), from BullMQ's own job
 * hashes: how long each waited for a worker slot (added → taken) and ran (taken → finished), in ms. Splits a
 * customer's wait into the worker's share and the rest (the api's own work, pages answered without a run).
 */
export async function landingRunTimes(prefix: string): Promise<{ queuedMs: number[]; runMs: number[]; runs: LandingRun[] }> {
  const redis = new Redis(REDIS_URL);
  const key = `${bullPrefix(prefix)}:${FULFILLMENT_QUEUE}`;
  const ids = [...(await redis.zrange(`${key}:completed`, 0, -1)), ...(await redis.zrange(`${key}:failed`, 0, -1))];
  const queuedMs: number[] = [];
  const runMs: number[] = [];
  const runs: LandingRun[] = [];
  for (const id of ids) {
    const [data, added, taken, finished] = await redis.hmget(`${key}:${id}`, 'data', 'timestamp', 'processedOn', 'finishedOn');
    if (data === null || data === undefined || !data.includes('"trigger":"landing"')) continue;
    queuedMs.push(Number(taken) - Number(added));
    runMs.push(Number(finished) - Number(taken));
    runs.push({ sessionId: (JSON.parse(data) as { sessionId: string }).sessionId, addedAt: Number(added), takenAt: Number(taken), finishedAt: Number(finished) });
  }
  await redis.quit();
  return { queuedMs, runMs, runs };
}

/** One landing run's BullMQ job times (epoch ms), to join with the visits that waited on it. */
export interface LandingRun {
  readonly sessionId: string;
  readonly addedAt: number;
  readonly takenAt: number;
  readonly finishedAt: number;
}
