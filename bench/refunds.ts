/**
 * Section 9: the cost of a refund. Paid sessions of 5 line items are fulfilled (their webhooks acknowledged
 * first, then one worker process drains them: section 3's backlog mode), then each is refunded by one line item
 * from the emulator (the Dashboard's part: `refund.created` and `charge.refunded` sent to the api) and the same
 * worker records the after-sale runs. Stripe requests per run come from the worker's own counter
 * (`stripe_requests_total`), CPU from every process of the service; the baseline is the checkout fulfillment
 * run measured in the same run, on the same processes.
 */
import { METRICS_TOKEN, SECRET, SERVICE, cpuSeconds, env, fulfilledCount, postgresPids, queueJobCount, redisPid, scratch, start, stop, table, type Row } from './tools.js';

const SESSIONS = Number(process.env.BENCH_REFUND_SESSIONS ?? 1000);
const EMULATOR = 'http://127.0.0.1:4311';
const METRICS = 'http://127.0.0.1:4312/metrics';

async function stripeRequests(): Promise<number> {
  const text = await (await fetch(METRICS, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('stripe_requests_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function refundsSection(): Promise<void> {
  const { db, prefix } = await scratch();
  const emulator = await start('src/entry/emulator.ts', { PATH: process.env.PATH ?? '', EMULATOR_PORT: '4311', EMULATOR_WEBHOOK_URL: 'http://127.0.0.1:4310/webhook', STRIPE_WEBHOOK_SECRET: SECRET }, 'stripe emulator listening');
  const base = env(db, prefix, { STRIPE_API_BASE: EMULATOR });
  const api = await start(SERVICE.api, { ...base, PORT: '4310' }, SERVICE.apiReady);
  const procs = { api: api.child.pid, worker: undefined as number | undefined };
  const cpuOf = (): Record<string, number> => ({
    worker: cpuSeconds(procs.worker),
    api: cpuSeconds(procs.api),
    redis: cpuSeconds(redisPid()),
    postgres: postgresPids().reduce((a, pid) => a + cpuSeconds(pid), 0),
  });
  const res = await fetch(`${EMULATOR}/_emulator/sessions/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: SESSIONS, spec: { lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 500 + k, quantity: 1 + k })) } }),
  });
  if (!res.ok) throw new Error(`emulator batch failed: ${res.status}`);
  await until('the webhooks to be queued', async () => (await queueJobCount(prefix)) >= SESSIONS);

  const rows: Row[] = [];
  const measure = async (name: string, act: () => Promise<void>, done: () => Promise<boolean>) => {
    const cpu0 = cpuOf();
    const req0 = await stripeRequests();
    const t0 = performance.now();
    await act();
    await until(name, done);
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuOf();
    const perRun = Object.fromEntries(Object.keys(cpu1).map((k) => [k, (Math.max(0, (cpu1[k] ?? 0) - (cpu0[k] ?? 0)) * 1e6) / SESSIONS]));
    const total = Object.values(perRun).reduce((a, b) => a + b, 0);
    // The metrics request itself is not a Stripe request; the counter is read after the last run was recorded.
    const requests = ((await stripeRequests()) - req0) / SESSIONS;
    rows.push({ 'per order': name, orders: SESSIONS, seconds: seconds.toFixed(1), 'orders/s': Math.round(SESSIONS / seconds), 'Stripe requests each': requests.toFixed(2), 'CPU µs each': Math.round(total), 'of which': Object.entries(perRun).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '), 'CPU vs checkout': '' });
    return total;
  };

  // As section 3's backlog: measured from the worker's start line (its boot is not a run's cost).
  const worker = await start(SERVICE.worker, { ...base, WORKER_CONCURRENCY: '50', WORKER_HTTP_PORT: '4312' }, SERVICE.workerReady);
  procs.worker = worker.child.pid;
  const checkoutCpu = await measure('checkout fulfillment (5 line items)', async () => undefined, async () => (await fulfilledCount(db)) >= SESSIONS);
  const first = await db.sql<{ session_id: string; id: string }[]>`select session_id, id from checkout_line_items where position = 0`;
  const refundCpu = await measure(
    'refund of one line item (2 events: 2 after-sale runs)',
    async () => {
      // The Dashboard's refunds, 20 at a time; their events reach the api as Stripe's would.
      for (let i = 0; i < first.length; i += 20) {
        await Promise.all(
          first.slice(i, i + 20).map(async (li) => {
            const r = await fetch(`${EMULATOR}/_emulator/refunds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session: li.session_id, line_items: [li.id] }) });
            if (!r.ok) throw new Error(`emulator refund failed: ${r.status} ${await r.text()}`);
          }),
        );
      }
    },
    async () => {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where refund_state = 'partial' and access = 'partially_revoked'`;
      return (row?.n ?? 0) >= SESSIONS;
    },
  );
  const [check] = await db.sql<{ changes: number; revoked: number }[]>`
    select (select count(*)::int from order_ledger where kind = 'refund') as changes, (select count(*)::int from checkout_line_items where access = 'revoked') as revoked`;
  (rows[0] as Row)['CPU vs checkout'] = '1.00×';
  (rows[1] as Row)['CPU vs checkout'] = `${(refundCpu / checkoutCpu).toFixed(2)}×`;
  await stop(api, worker, emulator);
  table(
    `9. The cost of a refund: ${SESSIONS.toLocaleString('en')} paid sessions × 5 line items fulfilled, then each refunded by one line item (2 events each), 1 worker process, concurrency 50`,
    rows,
    `How: one run, fulfillment (its webhooks acknowledged before the worker starts, so the api's share is not in that row) then refunds (their events received while the worker runs), ` +
      `on the same processes and database; CPU of the worker, the api, Redis and Postgres per order (the emulator's own left out); ` +
      `Stripe requests from the worker's stripe_requests_total. Check: ${check?.changes ?? 0} refund changes in the ledger, ${check?.revoked ?? 0} line items revoked (want ${SESSIONS} each).`,
  );
}
