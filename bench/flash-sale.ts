/**
 * Section 7 (only when named): a flash sale inside Stripe's live limits (issue 9). The emulator enforces
 * 100/s and 25/s per endpoint at 100 ms; a live key with the default budget; one api, two worker processes.
 * Sessions complete evenly over the sale and their webhooks are sent as they complete; some more complete
 * without a webhook and their customers poll the success page, each from an address of its own (the api
 * trusts X-Forwarded-For from loopback, as behind a proxy), so the per-client landing caps apply as in life.
 * Then an outage: every webhook acknowledged with no worker running, then the two workers start.
 *
 * The first version passed the completed *event's* id as the customer's session_id (a 400 page forever), so
 * its runs never ended; progress is now printed to stderr every 5 s while it waits.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type Stripe from 'stripe';
import { startEmulator } from '../src/emulator/start.js';
import type { Emulator } from '../src/emulator/server.js';
import { meanParts, waitParts, type CustomerTrace } from './landing-timeline.js';
import { METRICS_TOKEN, SECRET, SERVICE, env, failedJobCount, landingRunTimes, fulfilledCount, onCleanup, queueJobCount, scratch, start, stop, table, type RunningProcess } from './tools.js';

const PORT = 4350;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive whole number`);
  return v;
}

/** `--batched-reads on|off|auto`: the workers' STRIPE_BATCHED_READS (default: the service's own, auto), to compare them. */
function batchedReadsFlag(): Record<string, string> {
  const i = process.argv.indexOf('--batched-reads');
  if (i < 0) return {};
  const v = process.argv[i + 1] ?? '';
  if (!['on', 'off', 'auto'].includes(v)) throw new Error('--batched-reads needs on, off or auto');
  return { STRIPE_BATCHED_READS: v };
}

async function stack(opts: { workers: boolean }) {
  const { db, prefix } = await scratch();
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 100, stripeLimits: 'live' }, webhookEndpoints: [`http://127.0.0.1:${PORT}/webhook`] });
  onCleanup(() => emulator.app.close());
  // A live key and no STRIPE_MAX_RPS/STRIPE_ENDPOINT_MAX_RPS: the service's default budget for live mode.
  const base = env(db, prefix, { ...batchedReadsFlag(), STRIPE_API_BASE: emulator.url(), STRIPE_SECRET_KEY: 'sk_live_bench', TRUST_PROXY: '127.0.0.1' });
  delete base.STRIPE_MAX_RPS;
  delete base.STRIPE_ENDPOINT_MAX_RPS;
  const api = await start(SERVICE.api, { ...base, PORT: String(PORT) }, SERVICE.apiReady);
  const startWorkers = async () => [await start(SERVICE.worker, base, SERVICE.workerReady), await start(SERVICE.worker, base, SERVICE.workerReady)];
  const workers: RunningProcess[] = opts.workers ? await startWorkers() : [];
  emulator.gate.resetStats();
  return { db, prefix, emulator, api, workers, startWorkers };
}

/**
 * A sale sells a handful of products: every session buys the same five. (The first version gave each session
 * five products of its own, as the emulator does when a line item names none, so no product cache could spare
 * a read: 383 product reads for 389 list requests.)
 */
const items = Array.from({ length: 5 }, (_, k) => ({ name: `Flash item ${k}`, unitAmount: 1900 + k, productId: `prod_flash_${k}` }));
const paidSession = (emulator: Emulator) => emulator.store.complete(emulator.store.createSession({ livemode: true, lineItems: items }).id, { paymentStatus: 'paid' });

/** Pages a customer got without the order's items (and reloaded after 1 s). */
let pagesWithoutOrder = 0;

/** Every customer's visits, for the timeline of where the slow ones' wait went (landing-timeline.ts). */
const traces: CustomerTrace[] = [];

/** A customer's browser on the success page: reloads until the order page lists the items; ms from payment. */
async function customer(sessionId: string, address: string, paidAt: number): Promise<number> {
  const trace: CustomerTrace = { sessionId, paidAt: Date.now(), visits: [] };
  traces.push(trace);
  for (;;) {
    const sentAt = Date.now();
    const res = await fetch(`http://127.0.0.1:${PORT}/after-checkout?session_id=${sessionId}`, { headers: { 'x-forwarded-for': address } });
    const body = await res.text();
    const items = body.includes('Flash item 4');
    trace.visits.push({ sentAt, answeredAt: Date.now(), items });
    if (items) return performance.now() - paidAt;
    pagesWithoutOrder++;
    await sleep(1000); // the page refreshes itself; a browser would not hammer it
  }
}

async function waitFulfilled(db: Parameters<typeof fulfilledCount>[0], n: number, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  let done = 0;
  let said = Date.now();
  while ((done = await fulfilledCount(db)) < n && Date.now() < deadline) {
    if (Date.now() - said > 5000) {
      said = Date.now();
      console.error(`flash-sale: ${done} / ${n} fulfilled`);
    }
    await sleep(100);
  }
  return done;
}

/**
 * The api's event-loop lag, read from its /metrics once a second while the sale runs (prom-client resets
 * its lag histogram on every read, so each read covers the second before it): a stalled api shows here,
 * a wait on Postgres or Redis does not.
 */
function watchApiLag(): { stop(): Promise<{ worstMs: number; over500: number; seconds: number }> } {
  const maxes: number[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      await sleep(1000);
      const text = await fetch(`http://127.0.0.1:${PORT}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
        .then((r) => r.text())
        .catch(() => '');
      const max = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
      if (max !== undefined) maxes.push(Number(max) * 1000);
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return { worstMs: Math.round(Math.max(0, ...maxes)), over500: maxes.filter((m) => m > 500).length, seconds: maxes.length };
    },
  };
}

/** Each endpoint's requests, and how many of them were answered 429 (or 5xx): those not served. */
const byEndpoint = (stats: Emulator['gate']['stats']) =>
  Object.entries(stats.byEndpoint)
    .map(([k, v]) => `${k} ${v}${v > (stats.servedByEndpoint[k] ?? 0) ? ` (${v - (stats.servedByEndpoint[k] ?? 0)} not served)` : ''}`)
    .join(', ');

const share = (part: number, whole: number) => `${part} (${((part / Math.max(whole, 1)) * 100).toFixed(2)} %)`;

export async function flashSaleSection(): Promise<void> {
  const sessions = flag('sessions', 3000);
  const seconds = flag('seconds', 30);
  const customers = flag('customers', Math.max(1, Math.round((100 * sessions) / 3000)));
  const outage = flag('outage', Math.round((5000 * sessions) / 3000));

  const sale = await stack({ workers: true });
  console.error('flash-sale: stack up');
  const total = sessions + customers;
  // This process is the emulator, Stripe's webhook sender and the customers' browsers: when its own event loop
  // lags, a customer's page is read (and the next request sent) late, whatever the service did.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const apiLag = watchApiLag();
  const t0 = performance.now();
  const webhooks: Promise<void>[] = [];
  const landings: Promise<number>[] = [];
  const every = Math.max(1, Math.floor(sessions / customers));
  for (let i = 0; i < sessions; i++) {
    const due = t0 + (i * seconds * 1000) / sessions;
    if (due - performance.now() > 1) await sleep(due - performance.now());
    webhooks.push(sale.emulator.webhooks.send(paidSession(sale.emulator)));
    if (i % every === 0 && landings.length < customers) {
      const n = landings.length;
      // complete() returns the event; the customer's success URL carries the session's id.
      landings.push(customer((paidSession(sale.emulator).data.object as Stripe.Checkout.Session).id, `10.9.${Math.floor(n / 250)}.${(n % 250) + 1}`, performance.now()));
    }
  }
  const lastWebhook = performance.now();
  console.error('flash-sale: sale sent');
  await Promise.all(webhooks);
  console.error('flash-sale: webhooks delivered');
  const fulfilled = await waitFulfilled(sale.db, total, 10 * 60_000);
  const allAt = performance.now();
  const latencies = await Promise.all(landings);
  lag.disable();
  const apiStalls = await apiLag.stop();
  const stats = sale.emulator.gate.stats;
  const failed = await failedJobCount(sale.prefix);
  const landingRuns = await landingRunTimes(sale.prefix);
  await stop(sale.api, ...sale.workers);
  await sale.emulator.app.close();
  const waits = traces.map((t) => ({ ms: (t.visits.at(-1)?.answeredAt ?? t.paidAt) - t.paidAt, ...waitParts(t, landingRuns.runs) }));
  const slow = waits.filter((w) => w.ms > 2000).sort((a, b) => b.ms - a.ms);
  for (const w of slow.slice(0, 20)) console.error(`flash-sale: slow landing ${w.line}`);

  table(
    `7. Flash sale: ${sessions.toLocaleString('en')} sessions × 5 line items completing over ${seconds} s, webhooks as they complete, + ${customers} customers on the success page without a webhook; ` +
      `Stripe emulator at 100 ms enforcing 100/s and 25/s per endpoint, live key, default budget, 1 api + 2 worker processes ` +
      `(targets: all fulfilled ≤ 15 s after the last webhook, landing p99 ≤ 2 s, ≤ 0.5 Stripe requests per session, ≤ 1 % 429s, 0 failed jobs). ` +
      `No baseline ratio: the baseline spends one retrieve per job at 24/s, so it would need ~${Math.round(total / 24)} s here (and ~${Math.round(outage / 24)} s for the outage), which does not fit a bench run.`,
    [
      {
        'sessions fulfilled': `${fulfilled} / ${total}`,
        'time until all fulfilled s': ((allAt - t0) / 1000).toFixed(1),
        's after the last webhook': ((allAt - lastWebhook) / 1000).toFixed(1),
        'sessions/s': (fulfilled / ((allAt - t0) / 1000)).toFixed(1),
        'Stripe requests per session': (stats.requests / total).toFixed(3),
        'Stripe requests': stats.requests,
        '429s': share(stats.rateLimited, stats.requests),
        'landing p50 s': (pct(latencies, 0.5) / 1000).toFixed(2),
        'landing p99 s': (pct(latencies, 0.99) / 1000).toFixed(2),
        'landing runs: queued p50 / p99 s': `${(pct(landingRuns.queuedMs, 0.5) / 1000).toFixed(2)} / ${(pct(landingRuns.queuedMs, 0.99) / 1000).toFixed(2)}`,
        'landing runs: run p50 / p99 s': `${(pct(landingRuns.runMs, 0.5) / 1000).toFixed(2)} / ${(pct(landingRuns.runMs, 0.99) / 1000).toFixed(2)}`,
        'pages without the order': pagesWithoutOrder,
        'failed jobs': failed,
      },
    ],
    `How: sessions are created and completed in the in-process emulator at an even pace; each webhook is sent as its session completes. ` +
      `Landing time = from a customer's payment until the order page lists the items (each customer reloads 1 s after a page without them). ` +
      `Landing runs (${landingRuns.runMs.length}): queued = added by the api until a worker took it, run = taken until finished (BullMQ's job times); the rest of a customer's wait is the api's (its queries, waiting for the run, rendering) and reloads after pages without the order. ` +
      `Where customers' wait went (mean s per customer; refused = pages answered without a run or the items, reload = waiting 1 s to reload, ` +
      `beforeAdd / afterRun = the api before adding the run / after it finished, ranWithout = a run but no items, noRun = items without a run): ` +
      `all ${waits.length}: ${meanParts(waits.map((w) => w.parts))}; slower than 2 s, ${slow.length}: ${meanParts(slow.map((w) => w.parts))}. ` +
      `The api's event loop (its /metrics each second): max lag ${apiStalls.worstMs} ms, ${apiStalls.over500} of ${apiStalls.seconds} seconds with a lag over 500 ms. ` +
      `The bench's own event loop (emulator, webhook sender, customers) lagged p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms. ` +
      `Requests by endpoint: ${byEndpoint(stats)}.`,
  );

  const down = await stack({ workers: false });
  for (let i = 0; i < outage; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, outage - i) }, () => down.emulator.webhooks.send(paidSession(down.emulator))));
  }
  while ((await queueJobCount(down.prefix)) < outage) await sleep(100);
  down.emulator.gate.resetStats();
  const d0 = performance.now();
  const workers = await down.startWorkers();
  const drained = await waitFulfilled(down.db, outage, 10 * 60_000);
  const drainS = (performance.now() - d0) / 1000;
  const dstats = down.emulator.gate.stats;
  const dfailed = await failedJobCount(down.prefix);
  await stop(down.api, ...workers);
  await down.emulator.app.close();
  table(
    `7b. After an outage: ${outage.toLocaleString('en')} sessions acknowledged with no worker running, then the 2 worker processes start (same emulator limits and budget)`,
    [
      {
        'sessions fulfilled': `${drained} / ${outage}`,
        'time to drain s': drainS.toFixed(1),
        'sessions/s': (drained / drainS).toFixed(1),
        'Stripe requests per session': (dstats.requests / outage).toFixed(3),
        '429s': share(dstats.rateLimited, dstats.requests),
        'failed jobs': dfailed,
      },
    ],
    `How: time from starting the workers (including their start-up) until the last session is fulfilled. ` +
      `Requests by endpoint: ${byEndpoint(dstats)}.`,
  );
}
