/**
 * `npm run bench`: measures the service on this machine and prints tables. Not a test: nothing here
 * passes or fails on time; the numbers are for the README and for noticing regressions.
 *
 *  1. ingress: distinct signed checkout.session.completed events (~3 KB), 50 connections, no pipelining.
 *  2. the same events at one fixed rate against the api and against a handler that fulfills inside the
 *     request (Stripe's sample), emulator at 150 ms: p50 acknowledgement latency of each, and the ratio.
 *  3. end to end: 20,000 paid sessions of 5 line items, emulator at 0 ms, one worker process.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { fixedRate } from './fixed-rate.js';
import { EmulatorStore } from '../src/emulator/store.js';
import { startEmulator } from '../src/emulator/start.js';
import { signPayload } from '../src/emulator/webhook-sender.js';
import { FULFILLMENT_QUEUE, bullPrefix } from '../src/queue/contract.js';
import { freshDatabase, type TestDatabase } from '../test/helpers/database.js';
import { startProcess, waitForOutput, type RunningProcess } from '../test/helpers/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'whsec_bench_0123456789abcdefghij';
const KEY = 'sk_test_bench';
const E2E_SESSIONS = Number(process.env.BENCH_E2E_SESSIONS ?? 20_000);
const INGRESS_SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 10);
const running: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

function env(db: TestDatabase, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    REDIS_URL,
    STRIPE_SECRET_KEY: KEY,
    STRIPE_WEBHOOK_SECRET: SECRET,
    QUEUE_PREFIX: prefix,
    // The emulator enforces no limit here (section 5 measures the budget against one); a test key's
    // default budget of 20/s would measure that budget instead of the service.
    STRIPE_MAX_RPS: '10000',
    STRIPE_ENDPOINT_MAX_RPS: '10000',
    RECONCILE_INTERVAL: 'off',
    ...extra,
  };
}

async function start(entry: string, e: Record<string, string>, ready: string, nodeArgs: string[] = []): Promise<RunningProcess> {
  const p = startProcess(entry, { LOG_LEVEL: 'info', ...e }, nodeArgs);
  running.push(p);
  await waitForOutput(p, ready, 60_000);
  p.quiet();
  return p;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined | string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function redisPid(): string {
  return execFileSync('pgrep', ['-o', 'redis-server']).toString().trim();
}

function postgresPids(): string[] {
  return execFileSync('pgrep', ['-f', 'postgres']).toString().trim().split('\n').filter((p) => p !== '');
}

function peakRssMiB(pid: number | undefined): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kb / 1024).toFixed(0);
}

/** Signed events of real shape for sessions in `store`, each a distinct event and session. */
function signedEvents(store: EmulatorStore, n: number, lineItems: number): { body: string; signature: string }[] {
  const out: { body: string; signature: string }[] = [];
  for (let i = 0; i < n; i++) {
    const s = store.createSession({
      lineItems: Array.from({ length: lineItems }, (_, k) => ({ name: `Bench item ${k}`, unitAmount: 1000 + k, quantity: 1 })),
      customerEmail: `buyer${i}@example.com`,
      successUrl: 'https://shop.example.com/after-checkout?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://shop.example.com/cart',
    });
    const body = JSON.stringify(store.complete(s.id, { paymentStatus: 'paid' }));
    out.push({ body, signature: signPayload(body, [SECRET]) });
  }
  return out;
}

function load(url: string, events: { body: string; signature: string }[], opts: { seconds: number; rate?: number }) {
  let next = 0;
  return autocannon({
    url,
    connections: 50,
    pipelining: 1,
    duration: opts.seconds,
    ...(opts.rate === undefined ? {} : { overallRate: opts.rate }),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const e = events[next++ % events.length] as { body: string; signature: string };
          return { ...req, body: e.body, headers: { 'content-type': 'application/json', 'stripe-signature': e.signature } };
        },
      },
    ],
  });
}

type Row = Record<string, string | number>;
function table(title: string, rows: Row[]): void {
  console.log(`\n${title}\n`);
  const cols = Object.keys(rows[0] ?? {});
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`| ${cols.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${cols.map((c) => String(r[c])).join(' | ')} |`);
}

async function queueJobCount(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  const key = `${bullPrefix(prefix)}:${FULFILLMENT_QUEUE}`;
  const n = await redis.llen(`${key}:wait`);
  await redis.quit();
  return n;
}

async function obliterate(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', `${bullPrefix(prefix)}:*`, 'COUNT', 1000);
    cursor = c;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

async function ingressAndComparison(compare: boolean): Promise<void> {
  const db = await freshDatabase();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  cleanups.push(() => obliterate(prefix), () => db.drop());
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  cleanups.push(() => emulator.app.close());

  const api = await start('src/api/server.ts', env(db, prefix, { PORT: '4301', STRIPE_API_BASE: emulator.url(), LOG_PII: process.env.BENCH_LOG_PII ?? 'false' }), 'api listening', process.env.BENCH_API_NODE_ARGS?.split(' '));
  const inline = await start('bench/inline-server.ts', env(db, prefix, { PORT: '4302', STRIPE_API_BASE: emulator.url() }), 'inline server listening');

  process.stdout.write('preparing signed events… ');
  const events = signedEvents(new EmulatorStore(() => 'http://127.0.0.1'), 12_000 * (INGRESS_SECONDS + 2), 3);
  const avgBytes = Math.round(events.slice(0, 100).reduce((a, e) => a + e.body.length, 0) / 100);
  console.log(`${events.length} events of ~${avgBytes} bytes`);

  await load('http://127.0.0.1:4301/webhook', events.slice(0, 10_000), { seconds: 2 }); // warm-up
  await new Promise((r) => setTimeout(r, 500)); // let the warm-up's last answers land
  const warm = await queueJobCount(prefix);
  const cpu0 = { api: cpuSeconds(api.child.pid), redis: cpuSeconds(redisPid()), bench: cpuSeconds('self') };
  const r = await load('http://127.0.0.1:4301/webhook', events.slice(10_000), { seconds: INGRESS_SECONDS });
  const perReq = (s: number) => `${((s * 1e6) / Math.max(r.requests.total, 1)).toFixed(0)} µs`;
  const cpu = {
    api: perReq(cpuSeconds(api.child.pid) - cpu0.api),
    redis: perReq(cpuSeconds(redisPid()) - cpu0.redis),
    loadgen: perReq(cpuSeconds('self') - cpu0.bench),
  };
  const enqueued = (await queueJobCount(prefix)) - warm;
  table('1. Ingress: verify + enqueue, 50 connections, no pipelining (target ≥ 8,000/s at p99 ≤ 15 ms, 0 non-2xx)', [
    {
      'webhooks/s': Math.round(r.requests.average),
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      'max ms': r.latency.max,
      '2xx': r['2xx'],
      'non-2xx': r.non2xx,
      errors: r.errors + r.timeouts,
      'jobs in Redis': enqueued,
      'api peak RSS MiB': peakRssMiB(api.child.pid),
      'CPU per webhook: api / redis / load generator': `${cpu.api} / ${cpu.redis} / ${cpu.loadgen}`,
    },
  ]);

  if (!compare) {
    for (const p of [api, inline]) p.kill('SIGTERM');
    await Promise.all([api.exited, inline.exited]);
    return;
  }
  // Same offered load for both: the inline handler cannot go faster than Stripe answers.
  const store = emulator.store;
  const rate = 200;
  const seconds = 10;
  const forInline = signedEvents(store, rate * seconds + 500, 3);
  const forQueue = signedEvents(store, rate * seconds + 500, 3);
  const inl = await fixedRate('http://127.0.0.1:4302/webhook', forInline, { rate, seconds, connections: 50 });
  const q = await fixedRate('http://127.0.0.1:4301/webhook', forQueue, { rate, seconds, connections: 50 });
  table(`2. Acknowledgement latency at a fixed ${rate} webhooks/s (open loop, ≤ 50 connections), emulator at 150 ms (target ratio ≥ 100×)`, [
    { handler: 'fulfill inside the request (guide sample)', 'p50 ms': inl.p50, 'p99 ms': inl.p99, '2xx': inl.ok, 'non-2xx': inl.non2xx + inl.errors },
    { handler: 'verify + enqueue (this service)', 'p50 ms': q.p50, 'p99 ms': q.p99, '2xx': q.ok, 'non-2xx': q.non2xx + q.errors },
    { handler: 'ratio of p50s', 'p50 ms': `${(inl.p50 / q.p50).toFixed(0)}×`, 'p99 ms': `${(inl.p99 / q.p99).toFixed(0)}×`, '2xx': '', 'non-2xx': '' },
  ]);
  for (const p of [api, inline]) p.kill('SIGTERM');
  await Promise.all([api.exited, inline.exited]);
}

type E2eMode = 'flowing' | 'backlog';

/**
 * `flowing`: the worker runs while the emulator sends the webhooks and the api enqueues them, so all six
 * processes share the two cores. `backlog`: every webhook is acknowledged first (as after an outage or a
 * burst), then one worker process drains the queue; it measures what one worker process adds.
 */
async function endToEnd(mode: E2eMode): Promise<Row> {
  const db = await freshDatabase();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  cleanups.push(() => obliterate(prefix), () => db.drop());
  const emulator = await start(
    'src/emulator/main.ts',
    { PATH: process.env.PATH ?? '', EMULATOR_PORT: '4311', EMULATOR_WEBHOOK_URL: 'http://127.0.0.1:4310/webhook', STRIPE_WEBHOOK_SECRET: SECRET },
    'stripe emulator listening',
    process.env.BENCH_EMULATOR_NODE_ARGS?.split(' '),
  );
  const base = env(db, prefix, { STRIPE_API_BASE: 'http://127.0.0.1:4311' });
  const api = await start('src/api/server.ts', { ...base, PORT: '4310' }, 'api listening', process.env.BENCH_API_NODE_ARGS?.split(' '));
  const startWorker = () =>
    start('src/worker/main.ts', { ...base, WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY ?? '50' }, 'worker started', process.env.BENCH_WORKER_NODE_ARGS?.split(' '));
  let worker = mode === 'flowing' ? await startWorker() : undefined;

  const sendAll = async () => {
    const res = await fetch('http://127.0.0.1:4311/_emulator/sessions/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: E2E_SESSIONS, spec: { lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 500 + k, quantity: 1 + k })) } }),
    });
    if (!res.ok) throw new Error(`emulator batch failed: ${res.status}`);
  };
  if (mode === 'backlog') {
    await sendAll();
    while ((await queueJobCount(prefix)) < E2E_SESSIONS) await new Promise((r) => setTimeout(r, 100));
    worker = await startWorker();
  }
  const w = worker as RunningProcess;
  const procs = { emulator: emulator.child.pid, api: api.child.pid, worker: w.child.pid };
  const cpuOf = (): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSeconds(pid)])),
    redis: cpuSeconds(redisPid()),
    postgres: postgresPids().reduce((a, pid) => a + cpuSeconds(pid), 0),
  });
  const cpuStart = cpuOf();
  const t0 = performance.now();
  if (mode === 'flowing') await sendAll();
  let fulfilled = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (fulfilled < E2E_SESSIONS && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled'`;
    fulfilled = row?.n ?? 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuEnd = cpuOf();
  const cpu = Object.keys(cpuEnd)
    .map((k) => `${k} ${((((cpuEnd[k] ?? 0) - (cpuStart[k] ?? 0)) * 1e6) / E2E_SESSIONS).toFixed(0)}`)
    .join(', ');
  const [check] = await db.sql<{ sessions: number; items: number; reruns: number; distinct_items: number }[]>`
    select (select count(*)::int from checkout_sessions where status = 'fulfilled') as sessions,
           (select count(*)::int from checkout_line_items) as items,
           (select count(distinct (session_id, id))::int from checkout_line_items) as distinct_items,
           (select count(*)::int from checkout_sessions where attempt_count <> 1) as reruns`;
  const row: Row = {
    mode: mode === 'flowing' ? 'flowing: webhooks sent while the worker runs' : 'backlog: all webhooks acknowledged, then the worker starts',
    'sessions fulfilled': check?.sessions ?? 0,
    seconds: seconds.toFixed(1),
    'sessions/s': Math.round((check?.sessions ?? 0) / seconds),
    'line items stored': check?.items ?? 0,
    'duplicate line items': (check?.items ?? 0) - (check?.distinct_items ?? 0),
    'sessions run twice': check?.reruns ?? 0,
    'worker peak RSS MiB': peakRssMiB(w.child.pid),
    'api peak RSS MiB': peakRssMiB(api.child.pid),
    'CPU µs per session': cpu,
  };
  for (const p of [api, w, emulator]) p.kill('SIGTERM');
  await Promise.all([api.exited, w.exited, emulator.exited]);
  return row;
}

/** Landing page latency: a session already fulfilled, and a paid session whose webhook has not arrived. */
async function landing(): Promise<void> {
  const db = await freshDatabase();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  cleanups.push(() => obliterate(prefix), () => db.drop());
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  cleanups.push(() => emulator.app.close());
  const base = env(db, prefix, { STRIPE_API_BASE: emulator.url(), RATE_LIMIT_PER_MINUTE: '1000000' });
  const api = await start('src/api/server.ts', { ...base, PORT: '4320' }, 'api listening');
  const worker = await start('src/worker/main.ts', base, 'worker started');
  const url = (id: string) => `http://127.0.0.1:4320/after-checkout?session_id=${id}`;
  const paid = () => {
    const s = emulator.store.createSession({ lineItems: Array.from({ length: 3 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 700 + k })) });
    emulator.store.complete(s.id, { paymentStatus: 'paid' });
    return s.id;
  };
  const timed = async (id: string) => {
    const t = performance.now();
    const res = await fetch(url(id));
    const body = await res.text();
    if (!body.includes('Your order is confirmed')) throw new Error(`landing page for ${id} did not show the order`);
    return performance.now() - t;
  };
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

  // Not yet fulfilled: each request runs the whole job round trip (enqueue, worker, Stripe at 150 ms, Postgres).
  const fresh = Array.from({ length: 200 }, paid);
  const coldLatencies: number[] = [];
  for (let i = 0; i < fresh.length; i += 10) coldLatencies.push(...(await Promise.all(fresh.slice(i, i + 10).map(timed))));
  // Already fulfilled: Postgres only.
  for (let i = 0; i < 200; i++) await timed(fresh[i % fresh.length] as string); // warm-up
  const warmLatencies: number[] = [];
  for (let i = 0; i < 2000; i++) warmLatencies.push(await timed(fresh[i % fresh.length] as string));

  table('4. Landing page GET /after-checkout (targets: fulfilled p50 ≤ 10 ms; webhook not yet arrived, Stripe at 150 ms: p50 ≤ 200 ms)', [
    { case: 'session already fulfilled (2,000 requests, one at a time)', 'p50 ms': pct(warmLatencies, 0.5).toFixed(2), 'p99 ms': pct(warmLatencies, 0.99).toFixed(2) },
    { case: 'paid, webhook not arrived: runs the job and waits (200 sessions, 10 at a time)', 'p50 ms': pct(coldLatencies, 0.5).toFixed(2), 'p99 ms': pct(coldLatencies, 0.99).toFixed(2) },
  ]);
  for (const p of [api, worker]) p.kill('SIGTERM');
  await Promise.all([api.exited, worker.exited]);
}

const BUDGET_SESSIONS = Number(process.env.BENCH_BUDGET_SESSIONS ?? 2000);

/** Two worker processes against Stripe's live limits (100/s, 25/s per endpoint) at 150 ms, sharing one budget. */
async function rateBudget(): Promise<void> {
  const db = await freshDatabase();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  cleanups.push(() => obliterate(prefix), () => db.drop());
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150, maxRps: 100, maxEndpointRps: 25 }, webhookEndpoints: ['http://127.0.0.1:4340/webhook'] });
  cleanups.push(() => emulator.app.close());
  // A live key: the defaults are then STRIPE_MAX_RPS=90 and STRIPE_ENDPOINT_MAX_RPS=24.
  const base = { ...env(db, prefix, { STRIPE_API_BASE: emulator.url(), STRIPE_SECRET_KEY: 'sk_live_bench' }) };
  delete base.STRIPE_MAX_RPS;
  delete base.STRIPE_ENDPOINT_MAX_RPS;
  const api = await start('src/api/server.ts', { ...base, PORT: '4340' }, 'api listening');
  const workers = [await start('src/worker/main.ts', base, 'worker started'), await start('src/worker/main.ts', base, 'worker started')];
  emulator.gate.resetStats();
  const t0 = performance.now();
  for (let i = 0; i < BUDGET_SESSIONS; i++) {
    const s = emulator.store.createSession({ livemode: true, lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 900 + k })) });
    void emulator.webhooks.send(emulator.store.complete(s.id, { paymentStatus: 'paid' }));
  }
  let fulfilled = 0;
  while (fulfilled < BUDGET_SESSIONS) {
    await new Promise((r) => setTimeout(r, 200));
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled'`;
    fulfilled = row?.n ?? 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  const stats = emulator.gate.stats;
  const retrieve = stats.servedByEndpoint['GET /v1/checkout/sessions/:id'] ?? 0;
  const active = (stats.lastAt - stats.firstAt) / 1000;
  const served = stats.requests - stats.rateLimited - stats.serverErrors;
  const redis = new Redis(REDIS_URL);
  const failed = await redis.zcard(`${bullPrefix(prefix)}:${FULFILLMENT_QUEUE}:failed`);
  await redis.quit();
  table(`5. Shared Stripe budget: ${BUDGET_SESSIONS.toLocaleString('en')} sessions, 2 worker processes, Stripe at 150 ms enforcing 100/s and 25/s per endpoint (targets: ≥ 95 % of the binding limit, ≤ 1 % 429, 0 failed)`, [
    {
      seconds: seconds.toFixed(1),
      'sessions/s': (BUDGET_SESSIONS / seconds).toFixed(1),
      'Stripe requests': stats.requests,
      'binding limit': 'GET /v1/checkout/sessions/:id at 25/s',
      'its use (while sessions were waiting)': `${((retrieve / active / 25) * 100).toFixed(1)} %`,
      'all endpoints /s': (served / seconds).toFixed(1),
      '429s': `${stats.rateLimited} (${((stats.rateLimited / Math.max(stats.requests, 1)) * 100).toFixed(2)} %)`,
      'failed jobs': failed,
    },
  ]);
  for (const p of [api, ...workers]) p.kill('SIGTERM');
  await Promise.all([api.exited, ...workers.map((w) => w.exited)]);
}

try {
  console.log(`bench on ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  const only = process.argv[2];
  if (only === undefined || only === 'ingress' || only === 'ingress-only') await ingressAndComparison(only !== 'ingress-only');
  if (only === undefined || only === 'landing') await landing();
  if (only === undefined || only === 'budget') await rateBudget();
  if (only === undefined || only === 'e2e') {
    const rows = [await endToEnd('flowing'), await endToEnd('backlog')];
    table(`3. End to end: ${E2E_SESSIONS.toLocaleString('en')} paid sessions × 5 line items, emulator at 0 ms, 1 worker process (target ≥ 1,000/s)`, rows);
  }
} finally {
  for (const p of running) p.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}
