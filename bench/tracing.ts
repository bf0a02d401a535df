/**
 * Section 8 (`npm run bench tracing`): what OpenTelemetry tracing costs. The same build runs with tracing
 * off (no OTEL_* variable) and on (OTEL_EXPORTER_OTLP_ENDPOINT set, every trace sampled, OTLP/protobuf to a
 * sink in this bench process that accepts every export and drops it), in ABBA order, and each is given as a
 * ratio to "off" of the same run. With `--today DIR` (a directory holding another commit's compiled dist/,
 * e.g. main before tracing: `git archive main | tar -x -C DIR`, node_modules linked, `node scripts/build.mjs`)
 * that build runs too, so "off" is weighed against the code without tracing in the same run.
 */
import { startEmulator } from '../src/emulator/start.js';
import { startOtlpReceiver } from '../test/harness.js';
import { endToEnd, SESSIONS } from './end-to-end.js';
import { load, manyEvents } from './ingress.js';
import { SECRET, SERVICE, cpuSeconds, env, median, onCleanup, ratio, scratch, start, stop, table, type Impl } from './tools.js';

const SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 16);
const RUNS = Number(process.env.BENCH_INGRESS_RUNS ?? 4);

interface Variant {
  readonly name: string;
  readonly impl: Impl;
  readonly env: Record<string, string>;
}

export async function tracingSection(): Promise<void> {
  const sink = await startOtlpReceiver({ decode: false });
  onCleanup(() => sink.close());
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on' };
  const todayAt = process.argv.indexOf('--today');
  const todayDir = todayAt > 0 ? process.argv[todayAt + 1] : undefined;
  const variants: Variant[] = [
    { name: 'tracing off', impl: SERVICE, env: {} },
    { name: 'tracing on (all sampled)', impl: SERVICE, env: on },
    ...(todayDir === undefined
      ? []
      : [{ name: `today (${todayDir})`, impl: { ...SERVICE, api: `${todayDir}/dist/entry/api.js`, worker: `${todayDir}/dist/entry/worker.js` }, env: {} }]),
  ];
  await ingressTurns(variants);
  const exportsAfterIngress = sink.exports();
  await endToEndTurns(variants);
  console.log(`OTLP sink: ${exportsAfterIngress} exports during ingress, ${sink.exports() - exportsAfterIngress} during end to end (accepted and dropped)`);
}

/** Every variant's api side by side, under the same closed-loop load in turns, the order mirrored each round. */
async function ingressTurns(variants: readonly Variant[]): Promise<void> {
  const { db, prefix } = await scratch();
  const emulator = await startEmulator({ webhookSecrets: [SECRET], knobs: { latencyMs: 150 } });
  onCleanup(() => emulator.app.close());
  const sides = [];
  for (const [i, v] of variants.entries()) {
    const port = 4321 + i;
    const proc = await start(v.impl.api, env(db, `${prefix}-${i}`, { PORT: String(port), STRIPE_API_BASE: emulator.url(), ...v.env }), v.impl.apiReady);
    sides.push({ v, proc, url: `http://127.0.0.1:${port}/webhook`, cursor: { next: 0 }, requests: 0, seconds: 0, non2xx: 0, cpu: 0, p99: [] as number[] });
  }
  const events = manyEvents(8_000 * (SECONDS + 2));
  for (const s of sides) await load(s.url, events, s.cursor, 2);
  for (let round = 0; round < RUNS; round++) {
    for (const s of round % 2 === 0 ? sides : [...sides].reverse()) {
      const cpu0 = cpuSeconds(s.proc.child.pid);
      const r = await load(s.url, events, s.cursor, SECONDS / RUNS);
      s.cpu += cpuSeconds(s.proc.child.pid) - cpu0;
      s.requests += r.requests.total;
      s.seconds += r.duration;
      s.non2xx += r.non2xx + r.errors + r.timeouts;
      s.p99.push(r.latency.p99);
    }
  }
  const off = sides[0] as (typeof sides)[number];
  const rate = (s: typeof off) => s.requests / s.seconds;
  table(
    '8a. Tracing, ingress: verify + enqueue, 50 connections (targets: on ≥ 0.85× off; off ≈ 1.00× today)',
    sides.map((s) => ({
      api: s.v.name,
      'webhooks/s': Math.round(rate(s)),
      'vs tracing off': ratio(rate(s), rate(off)),
      'p99 ms': median(s.p99),
      'non-2xx/errors': s.non2xx,
      'api CPU µs per webhook': ((s.cpu * 1e6) / Math.max(1, s.requests)).toFixed(0),
    })),
    `How: the apis run side by side; ${RUNS} turns of ${SECONDS / RUNS} s each, the order mirrored every turn, after a 2 s warm-up each.`,
  );
  await stop(...sides.map((s) => s.proc));
}

/** Section 3's flowing run per variant, in the order off, on, [today], [today], on, off. */
async function endToEndTurns(variants: readonly Variant[]): Promise<void> {
  const perSecond = new Map<string, number[]>();
  const cpu = new Map<string, string[]>();
  for (const v of [...variants, ...[...variants].reverse()]) {
    const r = await endToEnd(v.impl, 'flowing', undefined, v.env);
    perSecond.set(v.name, [...(perSecond.get(v.name) ?? []), r.perSecond]);
    cpu.set(v.name, [...(cpu.get(v.name) ?? []), String(r.row['CPU µs per session'])]);
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(perSecond.get(variants[0]?.name ?? '') ?? [1]);
  table(
    `8b. Tracing, end to end: ${SESSIONS.toLocaleString('en')} paid sessions × 5 line items, flowing, 1 worker process (targets: on ≥ 0.85× off; off ≈ 1.00× today)`,
    variants.map((v) => ({
      service: v.name,
      'sessions/s (each run)': (perSecond.get(v.name) ?? []).map((x) => Math.round(x)).join(', '),
      'vs tracing off': ratio(mean(perSecond.get(v.name) ?? [0]), off),
      'CPU µs per session (first run)': cpu.get(v.name)?.[0] ?? '',
    })),
    'How: a fresh database, queue and processes for each run; api and worker both traced when on; ratio of the mean of the two runs.',
  );
}
