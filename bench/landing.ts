/** Section 4: the customer's landing page, for the service and for the baseline's minimal page. */
import { startEmulator } from '../src/emulator/start.js';
import { BASELINE, SECRET, SERVICE, env, onCleanup, ratio, scratch, start, stop, table, type Impl, type Row } from './tools.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function measure(impl: Impl): Promise<{ warm: number[]; cold: number[] }> {
  const { db, prefix } = await scratch();
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  onCleanup(() => emulator.app.close());
  const base = env(db, prefix, { STRIPE_API_BASE: emulator.url(), RATE_LIMIT_PER_MINUTE: '1000000' });
  const api = await start(impl.api, { ...base, PORT: '4320' }, impl.apiReady);
  const worker = await start(impl.worker, base, impl.workerReady);
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
    if (!body.includes('Your order is confirmed')) throw new Error(`${impl.name}: landing page for ${id} did not show the order`);
    return performance.now() - t;
  };
  // Not yet fulfilled: each request runs the whole job round trip (enqueue, worker, Stripe at 150 ms, Postgres).
  const fresh = Array.from({ length: 200 }, paid);
  const cold: number[] = [];
  for (let i = 0; i < fresh.length; i += 10) cold.push(...(await Promise.all(fresh.slice(i, i + 10).map(timed))));
  // Already fulfilled: Postgres only.
  for (let i = 0; i < 200; i++) await timed(fresh[i % fresh.length] as string); // warm-up
  const warm: number[] = [];
  for (let i = 0; i < 2000; i++) warm.push(await timed(fresh[i % fresh.length] as string));
  await stop(api, worker);
  await emulator.app.close();
  return { warm, cold };
}

export async function landingSection(): Promise<void> {
  const s = await measure(SERVICE);
  const b = await measure(BASELINE);
  const row = (kase: string, impl: string, xs: number[], bs: number[]): Row => ({
    case: kase,
    implementation: impl,
    'p50 ms': pct(xs, 0.5).toFixed(2),
    'p99 ms': pct(xs, 0.99).toFixed(2),
    'p50 vs baseline': ratio(pct(xs, 0.5), pct(bs, 0.5)),
  });
  const warm = 'session already fulfilled (2,000 requests, one at a time)';
  const cold = 'paid, webhook not arrived: runs the job and waits (200 sessions, 10 at a time)';
  table(
    '4. Landing page GET /after-checkout (targets: fulfilled p50 ≤ 10 ms; webhook not yet arrived, Stripe at 150 ms: p50 ≤ 200 ms)',
    [row(warm, 'service', s.warm, b.warm), row(warm, 'baseline', b.warm, b.warm), row(cold, 'service', s.cold, b.cold), row(cold, 'baseline', b.cold, b.cold)],
    'How: the service, then the baseline, each with its own api and one worker. The service renders the full order page (CSP, order details); ' +
      'the baseline a list of line items, and it waits on the job through a QueueEvents reader. Latency ratio = service / baseline (lower is better).',
  );
}
