/**
 * Sections 1 and 2: the webhook path alone. The service's api and the baseline's api run side by side
 * (same database, queues of their own) and take turns under the same load, so a swing in the machine's
 * speed hits both; the ratio of one run is what to compare across runs.
 */
import autocannon from 'autocannon';
import { fixedRate } from './fixed-rate.js';
import { EmulatorStore } from '../src/emulator/store.js';
import { startEmulator } from '../src/emulator/start.js';
import { signPayload } from '../src/emulator/webhook-sender.js';

import { BASELINE, SECRET, SERVICE, SERVICE_PG, cpuSeconds, env, median, onCleanup, peakRssMiB, queueJobCount, queueJobCountPg, ratio, redisPid, scratch, start, stop, table, type Impl, type RunningProcess } from './tools.js';

/** Seconds of measured load per implementation, split into RUNS turns (ABBA order). */
const SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 16);
const RUNS = Number(process.env.BENCH_INGRESS_RUNS ?? 4);
export type Event = { body: string; signature: string };

/** Signed events of real shape for sessions in `store`, each a distinct event and session. */
function signedEvents(store: EmulatorStore, n: number, lineItems: number): Event[] {
  const out: Event[] = [];
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

/**
 * Many distinct signed events, fast: one real event from the emulator, then for each copy its session and
 * event ids replaced (same length and alphabet) and the body signed again. Building each through the
 * emulator took minutes for the 100,000 events a run needs when the machine was busy.
 */
export function manyEvents(n: number): Event[] {
  const store = new EmulatorStore(() => 'http://127.0.0.1');
  const [template] = signedEvents(store, 1, 3);
  const parsed = JSON.parse((template as Event).body) as { id: string; data: { object: { id: string } } };
  const sessionId = parsed.data.object.id;
  const eventId = parsed.id;
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const tag = i.toString(36).padStart(8, '0');
    const body = (template as Event).body.replaceAll(sessionId, `${sessionId.slice(0, -8)}${tag}`).replaceAll(eventId, `${eventId.slice(0, -8)}${tag}`);
    out.push({ body, signature: signPayload(body, [SECRET]) });
  }
  return out;
}

/** Closed-loop load through distinct events from `cursor.next` on; 50 connections, no pipelining. */
export function load(url: string, events: Event[], cursor: { next: number }, seconds: number) {
  return autocannon({
    url,
    connections: 50,
    pipelining: 1,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const e = events[cursor.next++ % events.length] as Event;
          return { ...req, body: e.body, headers: { 'content-type': 'application/json', 'stripe-signature': e.signature } };
        },
      },
    ],
  });
}

interface Side {
  readonly impl: Impl;
  readonly url: string;
  readonly proc: RunningProcess;
  readonly prefix: string;
  readonly cursor: { next: number };
  requests: number;
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  max: number;
  readonly p50: number[];
  readonly p99: number[];
  cpu: { api: number; redis: number; loadgen: number };
}

export async function ingress(compare: boolean): Promise<void> {
  const { db, prefix } = await scratch();
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  onCleanup(() => emulator.app.close());
  const nodeArgs = process.env.BENCH_API_NODE_ARGS?.split(' ');
  const sides: Side[] = [];
  for (const [impl, port] of [[SERVICE, 4301], [BASELINE, 4303], [SERVICE_PG, 4305]] as const) {
    const p = `${prefix}-${impl.name.replaceAll(' ', '-')}`;
    const proc = await start(impl.api, env(db, p, { PORT: String(port), STRIPE_API_BASE: emulator.url(), LOG_PII: 'false', ...impl.env }), impl.apiReady, nodeArgs);
    sides.push({ impl, url: `http://127.0.0.1:${port}/webhook`, proc, prefix: p, cursor: { next: 0 }, requests: 0, seconds: 0, ok: 0, non2xx: 0, errors: 0, max: 0, p50: [], p99: [], cpu: { api: 0, redis: 0, loadgen: 0 } });
  }
  const [service, baseline, onPostgres] = sides as [Side, Side, Side];
  // Jobs in the queue: the Postgres side's are in its database's bullmq schema.
  const jobCount = (s: Side) => (s === onPostgres ? queueJobCountPg(db.url) : queueJobCount(s.prefix));

  process.stdout.write('preparing signed events… ');
  // Enough distinct events for 8,000/s: a redelivered event id would take BullMQ's cheaper duplicate path.
  const events = manyEvents(8_000 * (SECONDS + 2));
  const avgBytes = Math.round(events.slice(0, 100).reduce((a, e) => a + e.body.length, 0) / 100);
  console.log(`${events.length} events of ~${avgBytes} bytes`);

  for (const s of sides) await load(s.url, events, s.cursor, 2); // warm-up: JIT, connections
  await new Promise((r) => setTimeout(r, 500)); // let the warm-ups' last answers land
  const warm = await Promise.all(sides.map(jobCount));
  // ABBA: the service, the baseline, the baseline, the service, …: a drift in machine speed within the
  // section costs both the same.
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? [service, onPostgres, baseline] : [baseline, onPostgres, service];
    for (const side of order) {
      const cpu0 = { api: cpuSeconds(side.proc.child.pid), redis: cpuSeconds(redisPid()), loadgen: cpuSeconds('self') };
      const r = await load(side.url, events, side.cursor, SECONDS / RUNS);
      side.cpu.api += cpuSeconds(side.proc.child.pid) - cpu0.api;
      side.cpu.redis += cpuSeconds(redisPid()) - cpu0.redis;
      side.cpu.loadgen += cpuSeconds('self') - cpu0.loadgen;
      side.requests += r.requests.total;
      side.seconds += r.duration;
      side.ok += r['2xx'];
      side.non2xx += r.non2xx;
      side.errors += r.errors + r.timeouts;
      side.max = Math.max(side.max, r.latency.max);
      side.p50.push(r.latency.p50);
      side.p99.push(r.latency.p99);
    }
  }
  for (const s of sides) if (s.cursor.next > events.length) console.log(`note: ${s.impl.name} went through all ${events.length} events; later ones were redeliveries`);
  const jobs = await Promise.all(sides.map(jobCount));
  const rate = (s: Side) => s.requests / s.seconds;
  const perReq = (s: Side, cpu: number) => `${((cpu * 1e6) / Math.max(s.requests, 1)).toFixed(0)} µs`;
  table(
    '1. Ingress: verify + enqueue, 50 connections, no pipelining (targets: service ≥ 1.00× the baseline\'s webhooks/s, p99 no worse; on Postgres ≥ 0.5× the Redis backend)',
    sides.map((s, i) => ({
      implementation: s.impl.name,
      'webhooks/s': Math.round(rate(s)),
      'vs baseline': ratio(rate(s), rate(baseline)),
      'vs Redis backend': s === baseline ? '' : ratio(rate(s), rate(service)),
      'p50 ms': median(s.p50),
      'p99 ms': median(s.p99),
      'p99 vs baseline': ratio(median(s.p99), median(baseline.p99)),
      'max ms': s.max,
      '2xx': s.ok,
      'non-2xx': s.non2xx,
      errors: s.errors,
      'jobs queued': (jobs[i] ?? 0) - (warm[i] ?? 0),
      'api peak RSS MiB': peakRssMiB(s.proc.child.pid),
      'CPU per webhook: api / redis / load generator': `${perReq(s, s.cpu.api)} / ${perReq(s, s.cpu.redis)} / ${perReq(s, s.cpu.loadgen)}`,
    })),
    `How: the three apis (the service on Redis, on Postgres with QUEUE_BACKEND=postgres, and the baseline) run side by side; ${RUNS} turns of ${SECONDS / RUNS} s each, alternating which goes first (AB BA …), after a 2 s warm-up each. ` +
      'webhooks/s = all requests / all seconds of that implementation; p50 and p99 = the median over its turns; ratio = service / baseline.',
  );

  if (compare) await fixedRateComparison(emulator.store, service, baseline, db, prefix, emulator.url());
  await stop(service.proc, baseline.proc, onPostgres.proc);
}

/** Section 2: the same fixed rate against the inline handler (Stripe's sample), the service and the baseline. */
async function fixedRateComparison(
  store: EmulatorStore,
  service: Side,
  baseline: Side,
  db: Awaited<ReturnType<typeof scratch>>['db'],
  prefix: string,
  stripeBase: string,
): Promise<void> {
  const inline = await start('bench/inline-server.ts', env(db, prefix, { PORT: '4302', STRIPE_API_BASE: stripeBase }), 'inline server listening');
  const rate = 200;
  const seconds = 8;
  const run = (url: string) => fixedRate(url, signedEvents(store, rate * seconds + 500, 3), { rate, seconds, connections: 50 });
  const inl = await run('http://127.0.0.1:4302/webhook');
  const q = await run(service.url);
  const b = await run(baseline.url);
  table(`2. Acknowledgement latency at a fixed ${rate} webhooks/s for ${seconds} s each (open loop, ≤ 50 connections), emulator at 150 ms (target: inline / service ≥ 100×)`, [
    { handler: 'fulfill inside the request (guide sample)', 'p50 ms': inl.p50, 'p99 ms': inl.p99, 'p50 vs baseline': ratio(inl.p50, b.p50), '2xx': inl.ok, 'non-2xx': inl.non2xx + inl.errors },
    { handler: 'verify + enqueue (baseline)', 'p50 ms': b.p50, 'p99 ms': b.p99, 'p50 vs baseline': '1.00×', '2xx': b.ok, 'non-2xx': b.non2xx + b.errors },
    { handler: 'verify + enqueue (this service)', 'p50 ms': q.p50, 'p99 ms': q.p99, 'p50 vs baseline': ratio(q.p50, b.p50), '2xx': q.ok, 'non-2xx': q.non2xx + q.errors },
    { handler: 'inline / service', 'p50 ms': `${(inl.p50 / q.p50).toFixed(0)}×`, 'p99 ms': `${(inl.p99 / q.p99).toFixed(0)}×`, 'p50 vs baseline': '', '2xx': '', 'non-2xx': '' },
  ], 'How: one after the other (inline, service, baseline), each with its own fresh events; latency counted from when each request was due.');
  await stop(inline);
}
