/**
 * Section 3: webhooks from the emulator through the api, Redis and one worker process into Postgres,
 * for the service and for the baseline, in ABBA order (service, baseline, baseline, service).
 */

import { BASELINE, SECRET, SERVICE, SERVICE_PG, cpuSeconds, env, fulfilledCount, median, peakRssMiB, postgresPids, queueJobCount, queueJobCountPg, ratio, redisPid, scratch, start, stop, table, type Impl, type RunningProcess, type Row } from './tools.js';

export const SESSIONS = Number(process.env.BENCH_E2E_SESSIONS ?? 5000);
/** The api's port, and the emulator's (the next one): another engineer's bench on the same machine may hold 4310. */
const API_PORT = Number(process.env.BENCH_E2E_PORT ?? 4310);
const EMULATOR_PORT = API_PORT + 1;
/**
 * Rounds of the whole ABBA sequence (default 3); with more than one, a last table gives each round's ratio
 * and their median. Why: on this machine two adjacent runs of the same code gave 0.73× and 1.11× (backlog, 10,000
 * sessions): the CPU time per session of *both* implementations swung ±20 % from one run to the next.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_E2E_ROUNDS ?? 3));
type Mode = 'flowing' | 'backlog';

interface Result {
  readonly impl: Impl;
  /** STRIPE_BATCHED_READS for the service; undefined: its default. */
  readonly batchedReads: string | undefined;
  readonly mode: Mode;
  readonly perSecond: number;
  readonly row: Row;
}

/**
 * `flowing`: the worker runs while the emulator sends the webhooks and the api enqueues them, so all
 * processes share the two cores. `backlog`: every webhook is acknowledged first (as after an outage or a
 * burst), then one worker process drains the queue; it measures what one worker process adds.
 */
export async function endToEnd(impl: Impl, mode: Mode, batchedReads?: string, extra: Record<string, string> = {}): Promise<Result> {
  const { db, prefix } = await scratch();
  const emulator = await start(
    'src/entry/emulator.ts',
    { PATH: process.env.PATH ?? '', EMULATOR_PORT: String(EMULATOR_PORT), EMULATOR_WEBHOOK_URL: `http://127.0.0.1:${API_PORT}/webhook`, STRIPE_WEBHOOK_SECRET: SECRET },
    'stripe emulator listening',
    process.env.BENCH_EMULATOR_NODE_ARGS?.split(' '),
  );
  const base = env(db, prefix, { STRIPE_API_BASE: `http://127.0.0.1:${EMULATOR_PORT}`, ...(batchedReads === undefined ? {} : { STRIPE_BATCHED_READS: batchedReads }), ...impl.env, ...extra });
  const api = await start(impl.api, { ...base, PORT: String(API_PORT) }, impl.apiReady, process.env.BENCH_API_NODE_ARGS?.split(' '));
  const startWorker = () =>
    start(impl.worker, { ...base, WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY ?? '50' }, impl.workerReady, process.env.BENCH_WORKER_NODE_ARGS?.split(' '));
  let worker = mode === 'flowing' ? await startWorker() : undefined;

  const sendAll = async () => {
    const res = await fetch(`http://127.0.0.1:${EMULATOR_PORT}/_emulator/sessions/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: SESSIONS, spec: { lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 500 + k, quantity: 1 + k })) } }),
    });
    if (!res.ok) throw new Error(`emulator batch failed: ${res.status}`);
  };
  if (mode === 'backlog') {
    await sendAll();
    const queued = () => (impl === SERVICE_PG ? queueJobCountPg(db.url) : queueJobCount(prefix));
    while ((await queued()) < SESSIONS) await new Promise((r) => setTimeout(r, 100));
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
  const deadline = Date.now() + 5 * 60_000;
  while (fulfilled < SESSIONS && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    fulfilled = await fulfilledCount(db);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuEnd = cpuOf();
  const cpu = Object.keys(cpuEnd)
    .map((k) => `${k} ${((Math.max(0, (cpuEnd[k] ?? 0) - (cpuStart[k] ?? 0)) * 1e6) / SESSIONS).toFixed(0)}`)
    .join(', ');
  const [check] = await db.sql<{ sessions: number; items: number; reruns: number; distinct_items: number }[]>`
    select (select count(*)::int from checkout_sessions where status = 'fulfilled') as sessions,
           (select count(*)::int from checkout_line_items) as items,
           (select count(distinct (session_id, id))::int from checkout_line_items) as distinct_items,
           (select count(*)::int from checkout_sessions where attempt_count <> 1) as reruns`;
  const perSecond = (check?.sessions ?? 0) / seconds;
  const row: Row = {
    mode: mode === 'flowing' ? 'flowing: webhooks sent while the worker runs' : 'backlog: all webhooks acknowledged, then the worker starts',
    implementation: batchedReads === undefined ? impl.name : `${impl.name}, STRIPE_BATCHED_READS=${batchedReads}`,
    'sessions fulfilled': check?.sessions ?? 0,
    seconds: seconds.toFixed(1),
    'sessions/s': Math.round(perSecond),
    'vs baseline': '',
    'line items stored': check?.items ?? 0,
    'duplicate line items': (check?.items ?? 0) - (check?.distinct_items ?? 0),
    // The baseline never updates a session row, so it cannot count reruns.
    'sessions run twice': impl === BASELINE ? 'n/a' : (check?.reruns ?? 0),
    'worker peak RSS MiB': peakRssMiB(w.child.pid),
    'api peak RSS MiB': peakRssMiB(api.child.pid),
    'CPU µs per session': cpu,
  };
  await stop(api, w, emulator);
  return { impl, mode, batchedReads, perSecond, row };
}

/**
 * `--compare-batched-reads`: the service also runs with STRIPE_BATCHED_READS=on and =off (batching always, never),
 * so the default (auto) is weighed against both in the same run.
 */
export async function endToEndSection(): Promise<void> {
  const variants = process.argv.includes('--compare-batched-reads') ? ['on', 'off'] : [];
  const rows: Row[] = [];
  const ratios = new Map<string, number[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    // ABBA over both modes: S B (flowing), B S (backlog); the variants between them, mirrored too.
    const results = [await endToEnd(SERVICE, 'flowing')];
    for (const v of variants) results.push(await endToEnd(SERVICE, 'flowing', v));
    results.push(await endToEnd(BASELINE, 'flowing'), await endToEnd(BASELINE, 'backlog'));
    for (const v of [...variants].reverse()) results.push(await endToEnd(SERVICE, 'backlog', v));
    results.push(await endToEnd(SERVICE, 'backlog'));
    for (const r of results) {
      const b = results.find((x) => x.mode === r.mode && x.impl === BASELINE) as Result;
      const row = { ...r.row, 'vs baseline': ratio(r.perSecond, b.perSecond) };
      rows.push(ROUNDS === 1 ? row : { round, ...row });
      if (r.impl === SERVICE && r.batchedReads === undefined) ratios.set(r.mode, [...(ratios.get(r.mode) ?? []), r.perSecond / b.perSecond]);
    }
  }
  table(
    `3. End to end: ${SESSIONS.toLocaleString('en')} paid sessions × 5 line items, emulator at 0 ms, 1 worker process, concurrency 50 (targets: service ≥ 1.00× the baseline)`,
    rows,
    `How: ${ROUNDS === 1 ? 'one run each' : `${ROUNDS} rounds, each`}, in the order of the rows (${variants.length === 0 ? 'service, baseline (flowing), baseline, service (backlog)' : 'service and its variants, baseline (flowing), baseline, the variants and service (backlog)'}); a fresh database, queue and processes for each. ` +
      'sessions/s = sessions fulfilled / seconds from the first webhook sent (flowing) or the worker started (backlog) until the last fulfilled; ratio = service / baseline of the same mode and round.',
  );
  if (ROUNDS > 1) {
    table(
      `3 (summary). End to end over ${ROUNDS} rounds: the service's ratio to the baseline in each round, and their median`,
      [...ratios].map(([mode, xs]) => ({ mode, 'each round': xs.map((x) => `${x.toFixed(2)}×`).join(', '), median: `${median(xs).toFixed(2)}×` })),
    );
  }
}

/**
 * `npm run bench e2e-postgres`: the service on each queue backend and the baseline, flowing and backlog, in
 * one run (order: Redis, Postgres, baseline flowing; baseline, Postgres, Redis backlog), as ratios to the
 * Redis backend and to the baseline. Targets: Postgres >= 0.33x Redis.
 */
export async function endToEndBackendsSection(): Promise<void> {
  const results = [
    await endToEnd(SERVICE, 'flowing'),
    await endToEnd(SERVICE_PG, 'flowing'),
    await endToEnd(BASELINE, 'flowing'),
    await endToEnd(BASELINE, 'backlog'),
    await endToEnd(SERVICE_PG, 'backlog'),
    await endToEnd(SERVICE, 'backlog'),
  ];
  const rows = results.map((r) => {
    const same = (impl: typeof SERVICE) => results.find((x) => x.mode === r.mode && x.impl === impl) as Result;
    return { ...r.row, 'vs baseline': ratio(r.perSecond, same(BASELINE).perSecond), 'vs Redis backend': r.impl === BASELINE ? '' : ratio(r.perSecond, same(SERVICE).perSecond) };
  });
  table(
    `3b. End to end on each queue backend: ${SESSIONS.toLocaleString('en')} paid sessions × 5 line items, 1 worker process, concurrency 50 (target: Postgres ≥ 0.33× Redis)`,
    rows,
    'How: one run each, in the order of the rows; a fresh database, queue and processes for each. The Postgres backend keeps its queues in the same database (schema bullmq), REDIS_URL at a closed port.',
  );
}
