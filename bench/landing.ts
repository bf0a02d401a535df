/**
 * Section 4: the customer's landing page, for the service and for the baseline's minimal page. Both run
 * at once (one emulator, a database and queue each) and requests alternate between them, so a swing in
 * the machine's speed hits both alike. Each request comes from an address of its own (X-Forwarded-For, with the
 * service trusting the loopback proxy, as behind a load balancer): thousands of customers, not one client, so
 * the service's per-client caps (rate limit, Stripe lookups per client) do not bind and the figures measure the page.
 */
import { startEmulator } from '../src/emulator/start.js';

import { BASELINE, SECRET, SERVICE, env, onCleanup, ratio, scratch, start, stop, table, type Impl, type RunningProcess, type Row } from './tools.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

interface Side {
  readonly impl: Impl;
  readonly port: number;
  readonly procs: RunningProcess[];
  readonly sessions: string[];
  readonly warm: number[];
  readonly cold: number[];
  notShown: number;
  /** Answered 429 by a per-client cap: would mean the bench measured the cap, not the page. */
  refused: number;
}

export async function landingSection(): Promise<void> {
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  onCleanup(() => emulator.app.close());
  const paid = () => {
    const s = emulator.store.createSession({ lineItems: Array.from({ length: 3 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 700 + k })) });
    emulator.store.complete(s.id, { paymentStatus: 'paid' });
    return s.id;
  };
  const sides: Side[] = [];
  for (const [impl, port] of [[SERVICE, 4320], [BASELINE, 4321]] as const) {
    const { db, prefix } = await scratch();
    const base = env(db, prefix, { STRIPE_API_BASE: emulator.url(), TRUST_PROXY: '127.0.0.1' });
    const api = await start(impl.api, { ...base, PORT: String(port) }, impl.apiReady, process.env.BENCH_API_NODE_ARGS?.split(' '));
    const worker = await start(impl.worker, base, impl.workerReady);
    sides.push({ impl, port, procs: [api, worker], sessions: Array.from({ length: 200 }, paid), warm: [], cold: [], notShown: 0, refused: 0 });
  }
  let customers = 0;
  /** 10.0.0.1, 10.0.0.2, …: one address per request (2^24 of them, far more than a run sends). */
  const nextCustomer = () => {
    const n = ++customers;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
  const timed = async (side: Side, id: string) => {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${side.port}/after-checkout?session_id=${id}`, { headers: { 'x-forwarded-for': nextCustomer() } });
    const body = await res.text();
    // Not shown yet (the page gave up waiting, e.g. on a busy machine): counted, and its latency kept.
    if (!body.includes('Your order is confirmed')) side.notShown++;
    if (res.status === 429) side.refused++;
    return performance.now() - t;
  };
  // Not yet fulfilled: each request runs the whole job round trip (enqueue, worker, Stripe at 150 ms, Postgres).
  for (let i = 0; i < 200; i += 10) {
    for (const side of i % 20 === 0 ? sides : [...sides].reverse()) {
      side.cold.push(...(await Promise.all(side.sessions.slice(i, i + 10).map((id) => timed(side, id)))));
    }
  }
  // Already fulfilled: Postgres only. A warm-up, then requests alternating between the two.
  for (let i = 0; i < 200; i++) for (const side of sides) await timed(side, side.sessions[i] as string);
  for (let i = 0; i < 2000; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) side.warm.push(await timed(side, side.sessions[i % 200] as string));
  }
  for (const side of sides) await stop(...side.procs);

  const [s, b] = sides as [Side, Side];
  const row = (kase: string, side: Side, xs: number[], bs: number[]): Row => ({
    case: kase,
    implementation: side.impl.name,
    'p50 ms': pct(xs, 0.5).toFixed(2),
    'p99 ms': pct(xs, 0.99).toFixed(2),
    'p50 vs baseline': ratio(pct(xs, 0.5), pct(bs, 0.5)),
    'pages without the order (all cases)': side.notShown,
    'of which refused (429)': side.refused,
  });
  const warm = 'session already fulfilled (2,000 requests, one at a time)';
  const cold = 'paid, webhook not arrived: runs the job and waits (200 sessions, 10 at a time)';
  table(
    '4. Landing page GET /after-checkout (targets: fulfilled p50 ≤ 10 ms; webhook not yet arrived, Stripe at 150 ms: p50 ≤ 200 ms)',
    [row(warm, s, s.warm, b.warm), row(warm, b, b.warm, b.warm), row(cold, s, s.cold, b.cold), row(cold, b, b.cold, b.cold)],
    'How: both stacks (api + one worker each) run side by side; requests alternate between them (fulfilled: one each in turn; not yet arrived: ' +
      'batches of 10 in turn), each from an address of its own (X-Forwarded-For; the service runs with TRUST_PROXY=127.0.0.1). ' +
      'The service renders the full order page (CSP, order details, 3 queries); the baseline a list of line items (1 query) ' +
      'and waits on the job through a QueueEvents reader. Ratio = service / baseline (lower is better).',
  );
}
