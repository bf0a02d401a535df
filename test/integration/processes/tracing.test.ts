import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { CALLBACK_SECRET } from '../../helpers/effects-stack.js';
import { startOtlpReceiver, spanTree, type OtlpReceiver, type ReceivedSpan } from '../../helpers/otlp-receiver.js';
import { freePort } from '../../helpers/ports.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Prints each OpenTelemetry module a process loads (node --import): the proof that "off" loads none. */
const RECORD_LOADS = ['--import', fileURLToPath(new URL('../../helpers/otel-loads.mjs', import.meta.url))];
const SERVER = 2;
const CLIENT = 3;

/**
 * One trace per order, through the real compiled api and worker processes configured only by the standard
 * OTEL_* variables, exporting OTLP/JSON to a receiver in this test: the webhook's server span, the job,
 * Stripe, Postgres and the merchant's callback, which carries the trace on in its `traceparent`.
 */
describe('tracing (OpenTelemetry, OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let stack: Stack;
  let otlp: OtlpReceiver;
  let callbacks: CallbackReceiver;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    callbacks = await startCallbackReceiver([CALLBACK_SECRET]);
    // No in-process worker: the worker process takes the jobs.
    stack = await startStack({ workers: 0, effects: { callbackUrls: [callbacks.url], callbackSecret: CALLBACK_SECRET } });
  });
  afterAll(async () => {
    for (const p of running) {
      p.kill();
      await p.exited;
    }
    await stack.close();
    await callbacks.close();
    await otlp.close();
  });

  /** The api and a worker as processes; the emulator's webhooks go to this api. */
  async function start(env: Record<string, string>): Promise<{ api: RunningProcess; worker: RunningProcess; base: string }> {
    const port = await freePort();
    const api = startProcess('src/entry/api.ts', stack.env({ LOG_LEVEL: 'info', PORT: String(port), ...env }), RECORD_LOADS);
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', ...env }), RECORD_LOADS);
    running.push(api, worker);
    await waitForOutput(api, 'api listening');
    await waitForOutput(worker, 'worker started');
    stack.emulator.endpoints.splice(0, stack.emulator.endpoints.length, `http://127.0.0.1:${port}/webhook`);
    return { api, worker, base: `http://127.0.0.1:${port}` };
  }

  async function stop(...ps: RunningProcess[]): Promise<void> {
    for (const p of ps) {
      p.kill();
      await p.exited;
    }
  }

  /** A paid session, fulfilled through the webhook; resolves with its callback's request. */
  async function paidOrder(): Promise<{ sessionId: string; traceparent: string }> {
    const before = callbacks.received.length;
    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    const callback = await waitFor(async () => callbacks.received.slice(before).find((c) => c.body.includes(s.id)), 'the merchant callback', 30_000);
    return { sessionId: s.id, traceparent: String(callback.headers.traceparent ?? '') };
  }

  const loaded = (p: RunningProcess) => [...p.output().matchAll(/^otel module loaded: (\S+)$/gm)].map((m) => m[1]);

  const jsonLines = (p: RunningProcess) =>
    p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('one paid session: POST /webhook (api) → job, Stripe, Postgres, callback (worker) in one trace; the callback and the logs carry it', async () => {
    const { api, worker, base } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Read by the SDK itself (config/tracing.ts says which it leaves to it): export within 100 ms.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    try {
      await tracedOrder(api, worker, base);
    } finally {
      await stop(api, worker);
    }
  });

  async function tracedOrder(api: RunningProcess, worker: RunningProcess, base: string): Promise<void> {
    const { sessionId, traceparent } = await paidOrder();

    // The callback continues the trace: traceparent = 00-<trace id>-<span id>-<flags>.
    const [, traceId] = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(traceparent) ?? [];
    expect(traceId, `traceparent ${traceparent}`).toBeDefined();
    const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
    const find = (what: string, test: (s: ReceivedSpan) => boolean) => waitFor(async () => inTrace().find(test), what, 15_000);

    const server = await find('the webhook server span', (s) => s.name === 'POST /webhook' && s.kind === SERVER);
    expect(server.service).toBe('stripe-fulfillment-api');
    const stripeSpan = await find("the worker's Stripe client span", (s) => s.service === 'stripe-fulfillment-worker' && s.kind === CLIENT && s.name.startsWith('stripe GET /v1/checkout/sessions'));
    expect(String(stripeSpan.attributes['url.full'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/checkout\/sessions/);
    expect(JSON.stringify(stripeSpan.attributes)).not.toContain('sk_test');
    const pg = await find('the Postgres transaction span', (s) => s.service === 'stripe-fulfillment-worker' && s.attributes['db.system'] === 'postgresql');
    // Statements as events, their text only: the session id is a parameter and never appears.
    const statements = pg.events.map((e) => String(e.attributes['db.query.text']).trim().split(/\s+/)[0]?.toLowerCase());
    // From BEGIN to COMMIT, those pipelined behind a busy socket included.
    expect(statements[0]).toBe('begin');
    expect(statements.at(-1)).toBe('commit');
    expect(pg.events.some((e) => String(e.attributes['db.query.text']).includes('checkout_sessions'))).toBe(true);
    expect(JSON.stringify(pg.events)).not.toContain(sessionId);
    const callbackSpan = await find("the callback's client span", (s) => s.service === 'stripe-fulfillment-worker' && s.kind === CLIENT && String(s.attributes['url.full']).startsWith(callbacks.url));
    expect(traceparent).toContain(callbackSpan.spanId);
    // The job is a child of the enqueue, itself under the webhook's span: one trace, parented throughout.
    const job = await find("the worker's job span", (s) => s.service === 'stripe-fulfillment-worker' && s.kind === 5 && s.name.includes('fulfillment'));
    const enqueue = inTrace().find((s) => s.spanId === job.parentSpanId);
    expect(enqueue?.service).toBe('stripe-fulfillment-api');

    // Every line the worker wrote for this run carries the trace's id.
    const runLine = jsonLines(worker).find((l) => l.msg === 'fulfillment run' && l.sessionId === sessionId);
    expect(runLine).toMatchObject({ trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(jsonLines(worker).filter((l) => l.sessionId === sessionId && l.trace_id !== traceId)).toEqual([]);

    // Support finds the trace from the order: `cli status` shows the last run's trace id.
    const status = await runCli(['status', sessionId], stack.env());
    expect(JSON.parse(status.stdout)).toMatchObject({ session_id: sessionId, trace_id: traceId });
    // And the order page's reference, which the customer quotes to support.
    const page = (await (await fetch(`${base}/after-checkout?session_id=${sessionId}`)).text()).replace(/<[^>]+>/g, '');
    expect(page).toContain(`trace ${traceId}`);

    // BullMQ's own housekeeping (a getNextJob root span per job taken) is never exported: no flood of one-span traces.
    expect(otlp.spans.filter((s) => /^(getNextJob|moveStalledJobsToWait|startStalledCheckTimer) /.test(s.name))).toEqual([]);
    expect(otlp.spans.filter((s) => s.service === 'stripe-fulfillment-worker' && s.parentSpanId === '').map((s) => s.name)).not.toContain('process fulfillment');

    // Tracing on does load the SDK (so the check below can fail).
    for (const p of [api, worker]) expect(loaded(p)).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http', 'bullmq-otel']));
    if (process.env.PRINT_TRACE === '1') console.log(spanTree(inTrace()));
  }

  it('landing runs and reconciliation are traced the same way', async () => {
    const { api, worker, base } = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' });
    try {
      await landingAndReconcile(base);
    } finally {
      await stop(api, worker);
    }
  });

  async function landingAndReconcile(base: string): Promise<void> {
    const worked = (test: (s: ReceivedSpan) => boolean) => (s: ReceivedSpan) => s.service === 'stripe-fulfillment-worker' && test(s);
    const span = (what: string, test: (s: ReceivedSpan) => boolean) => waitFor(async () => otlp.spans.find(test), what, 15_000);

    // The customer lands before any webhook: the page's request, its run and the run's Stripe read share a trace.
    const landed = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(landed.id, { paymentStatus: 'paid' });
    expect((await fetch(`${base}/after-checkout?session_id=${landed.id}`)).status).toBe(200);
    const page = await span('the landing request span', (s) => s.name === 'GET /after-checkout' && s.kind === SERVER && String(s.attributes['url.path']).includes(landed.id));
    await span('the landing run', worked((s) => s.traceId === page.traceId && s.kind === 5 && s.name.includes('fulfillment')));
    await span("the landing run's Stripe read", worked((s) => s.traceId === page.traceId && s.name.startsWith('stripe GET /v1/checkout/sessions')));

    // A session nobody told us about: reconciliation lists it and records it, in the reconcile job's trace.
    const missed = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(missed.id, { paymentStatus: 'paid' });
    const cli = await runCli(['reconcile', '--since', '1h'], stack.env());
    expect(cli.code, cli.stderr).toBe(0);
    const job = await span('the reconcile job span', worked((s) => s.kind === 5 && s.name.includes('reconcile')));
    await span('the list request', worked((s) => s.traceId === job.traceId && s.name === 'stripe GET /v1/checkout/sessions'));
    await span("the missed session's transaction", worked((s) => s.traceId === job.traceId && s.attributes['db.system'] === 'postgresql'));
  }

  it('with no OTEL_* variable set: no OpenTelemetry module is loaded, no exporter exists, no trace id is stored', async () => {
    const exportsBefore = otlp.exports();
    const { api, worker } = await start({});
    let order: { sessionId: string; traceparent: string };
    try {
      order = await paidOrder();
    } finally {
      await stop(api, worker);
    }
    const { sessionId, traceparent } = order;
    expect(traceparent).toBe('');
    // The API package alone may be there: prom-client (metrics) loads it when installed, for exemplars. It is
    // OpenTelemetry's no-op facade; no SDK, exporter or instrumentation module is loaded.
    for (const p of [api, worker]) expect(loaded(p).filter((m) => m !== '@opentelemetry/api')).toEqual([]);
    expect(otlp.exports()).toBe(exportsBefore);
    const status = await runCli(['status', sessionId], stack.env());
    expect(JSON.parse(status.stdout)).toMatchObject({ session_id: sessionId, trace_id: null });
  });
});
