/**
 * Section 5: two worker processes against Stripe's live limits (100/s, 25/s per endpoint) at 150 ms.
 * The service shares its own budget in Redis; the baseline uses BullMQ's queue-wide limiter at 24 jobs/s
 * (one retrieve per job), the simplest correct way to keep a fleet under 25/s per endpoint.
 */
import { startEmulator } from '../src/emulator/start.js';
import { BASELINE, SECRET, SERVICE, env, failedJobCount, fulfilledCount, onCleanup, ratio, scratch, start, stop, table, type Impl, type Row } from './tools.js';

const SESSIONS = Number(process.env.BENCH_BUDGET_SESSIONS ?? 600);

async function measure(impl: Impl): Promise<{ perSecond: number; row: Row }> {
  const { db, prefix } = await scratch();
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150, maxRps: 100, maxEndpointRps: 25 }, webhookEndpoints: ['http://127.0.0.1:4340/webhook'] });
  onCleanup(() => emulator.app.close());
  // A live key: the service's defaults are then STRIPE_MAX_RPS=90 and STRIPE_ENDPOINT_MAX_RPS=24.
  const base = { ...env(db, prefix, { STRIPE_API_BASE: emulator.url(), STRIPE_SECRET_KEY: 'sk_live_bench', BASELINE_LIMIT_RPS: '24' }) };
  delete base.STRIPE_MAX_RPS;
  delete base.STRIPE_ENDPOINT_MAX_RPS;
  const api = await start(impl.api, { ...base, PORT: '4340' }, impl.apiReady);
  const workers = [await start(impl.worker, base, impl.workerReady), await start(impl.worker, base, impl.workerReady)];
  emulator.gate.resetStats();
  const t0 = performance.now();
  for (let i = 0; i < SESSIONS; i++) {
    const s = emulator.store.createSession({ livemode: true, lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 900 + k })) });
    void emulator.webhooks.send(emulator.store.complete(s.id, { paymentStatus: 'paid' }));
  }
  while ((await fulfilledCount(db)) < SESSIONS) await new Promise((r) => setTimeout(r, 200));
  const seconds = (performance.now() - t0) / 1000;
  const stats = emulator.gate.stats;
  const retrieve = stats.servedByEndpoint['GET /v1/checkout/sessions/:id'] ?? 0;
  const active = (stats.lastAt - stats.firstAt) / 1000;
  const served = stats.requests - stats.rateLimited - stats.serverErrors;
  const failed = await failedJobCount(prefix);
  await stop(api, ...workers);
  await emulator.app.close();
  const perSecond = SESSIONS / seconds;
  return {
    perSecond,
    row: {
      implementation: impl.name,
      seconds: seconds.toFixed(1),
      'sessions/s': perSecond.toFixed(1),
      'vs baseline': '',
      'Stripe requests': stats.requests,
      'use of GET /v1/checkout/sessions/:id at 25/s (while sessions were waiting)': `${((retrieve / active / 25) * 100).toFixed(1)} %`,
      'all endpoints /s': (served / seconds).toFixed(1),
      '429s': `${stats.rateLimited} (${((stats.rateLimited / Math.max(stats.requests, 1)) * 100).toFixed(2)} %)`,
      'failed jobs': failed,
    },
  };
}

export async function budgetSection(): Promise<void> {
  const s = await measure(SERVICE);
  const b = await measure(BASELINE);
  table(
    `5. Shared Stripe budget: ${SESSIONS.toLocaleString('en')} sessions, 2 worker processes, Stripe at 150 ms enforcing 100/s and 25/s per endpoint (targets: ≥ 95 % of the binding limit, ≤ 1 % 429, 0 failed)`,
    [
      { ...s.row, 'vs baseline': ratio(s.perSecond, b.perSecond) },
      { ...b.row, 'vs baseline': '1.00×' },
    ],
    'How: the service, then the baseline (BullMQ limiter, 24 jobs/s across the queue), each with its own api and two workers. Bound by Stripe, not by the machine.',
  );
}
