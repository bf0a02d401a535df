/**
 * Outbox figures for `npm run bench effects`:
 *  6a. effects delivered per second by one worker process's dispatcher, to local receivers (an HTTP
 *      endpoint answering 204, an SMTP sink that accepts and discards), from a queued backlog;
 *  6b. the outbox's cost on the end-to-end figure: the same backlog of paid sessions drained by one worker
 *      process with effects off (no SMTP_URL, no CALLBACK_URLS) and on (both), in sessions/s.
 * Both give the worker's and its Postgres backends' CPU per effect or session, taken before the worker stops.
 * Receivers run in this process; everything shares the machine's cores.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type postgres from 'postgres';
import { SMTPServer } from 'smtp-server';
import { cpuSeconds, onCleanup, env, scratch, start, stop, table, type Row } from './tools.js';

const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Local receivers: an HTTP 204 endpoint and an SMTP sink that discards, counting what they took. */
async function receivers() {
  let callbacks = 0;
  let mails = 0;
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      callbacks++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        mails++;
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  return {
    callbackUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    counts: () => ({ callbacks, mails }),
    close: async () => {
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => smtp.close(() => r()));
    },
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * CPU seconds so far of the worker process and of this database's Postgres backends (the worker's and the
 * api's pools). Per unit of work, these swing far less with the machine's load than the rates do.
 */
async function cpuOf(db: { sql: postgres.Sql }, workerPid: number | undefined): Promise<{ worker: number; postgres: number }> {
  const backends = await db.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  return { worker: cpuSeconds(workerPid), postgres: backends.reduce((sum, b) => sum + cpuSeconds(b.pid), 0) };
}

/** A backlog of paid sessions, acknowledged by the api, then drained by one worker process; returns sessions/s and effects/s. */
async function drain(sessions: number, effectsOn: boolean): Promise<Row> {
  const { db, prefix } = await scratch();
  const sinks = await receivers();
  onCleanup(() => sinks.close());
  const emulator = await start(
    'src/entry/emulator.ts',
    { PATH: process.env.PATH ?? '', EMULATOR_PORT: '4361', EMULATOR_WEBHOOK_URL: 'http://127.0.0.1:4360/webhook', STRIPE_WEBHOOK_SECRET: 'whsec_bench_0123456789abcdefghij' },
    'stripe emulator listening',
  );
  const effects: Record<string, string> = effectsOn ? { SMTP_URL: sinks.smtpUrl, MAIL_FROM: 'Shop <orders@example.com>', CALLBACK_URLS: sinks.callbackUrl, CALLBACK_SECRET } : {};
  const base = env(db, prefix, { STRIPE_API_BASE: 'http://127.0.0.1:4361', ...effects });
  const api = await start('src/entry/api.ts', { ...base, PORT: '4360' }, 'api listening');
  const res = await fetch('http://127.0.0.1:4361/_emulator/sessions/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: sessions, spec: { customerEmail: 'buyer@example.com', lineItems: Array.from({ length: 5 }, (_, k) => ({ name: `Item ${k}`, unitAmount: 500 + k, quantity: 1 + k })) } }),
  });
  if (!res.ok) throw new Error(`emulator batch failed: ${res.status}`);
  const count = async (q: 'sessions' | 'delivered') => {
    const [row] =
      q === 'sessions'
        ? await db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where status = 'fulfilled'`
        : await db.sql<{ n: number }[]>`select count(*)::int as n from fulfillment_effects where status = 'delivered'`;
    return row?.n ?? 0;
  };
  // Every webhook acknowledged first (the api logs nothing per request): wait for the jobs.
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = performance.now();
  const worker = await start('src/entry/worker.ts', { ...base, WORKER_CONCURRENCY: '50' }, 'worker started', process.env.BENCH_WORKER_NODE_ARGS?.split(' '));
  await waitUntil(async () => (await count('sessions')) >= sessions, 10 * 60_000);
  const fulfilledSeconds = (performance.now() - t0) / 1000;
  if (effectsOn) await waitUntil(async () => (await count('delivered')) >= 2 * sessions, 10 * 60_000);
  const allSeconds = (performance.now() - t0) / 1000;
  const received = sinks.counts();
  const cpu = await cpuOf(db, worker.child.pid);
  await stop(api, worker, emulator);
  return {
    effects: effectsOn ? 'on: email + 1 callback per session' : 'off',
    sessions,
    'sessions/s (all fulfilled)': Math.round(sessions / fulfilledSeconds),
    'effects delivered': effectsOn ? await count('delivered') : 0,
    'seconds until every effect delivered': effectsOn ? allSeconds.toFixed(1) : '',
    'received: mails / callbacks': `${received.mails} / ${received.callbacks}`,
    'worker / Postgres CPU, ms per session': `${((1000 * cpu.worker) / sessions).toFixed(2)} / ${((1000 * cpu.postgres) / sessions).toFixed(2)}`,
  };
}

/** Dispatcher alone: a backlog of committed effects, then one worker process delivers them. */
async function dispatcherRate(sessions: number): Promise<Row> {
  const { db, prefix } = await scratch();
  const sinks = await receivers();
  onCleanup(() => sinks.close());
  // Committed effects with no job (as after CLI runs or a Redis loss): the worker's sweep feeds its queue.
  await db.sql`insert into checkout_sessions (id, status, payment_status, livemode, first_seen_at, updated_at)
    select 'cs_test_bench' || g, 'fulfilled', 'paid', false, now(), now() from generate_series(1, ${sessions}) g`;
  const order = JSON.stringify({ sessionId: 'cs_test_bench', livemode: false, customerEmail: 'buyer@example.com', customerName: null, currency: 'usd', amountSubtotal: 1000, amountTotal: 1000, fulfilledAt: new Date().toISOString(), lineItems: [{ id: 'li_1', description: 'Item', quantity: 1, amountTotal: 1000, currency: 'usd', price: null, product: null }], notes: [] });
  await db.sql`insert into fulfillment_effects (session_id, scope, kind, target, payload, status, next_attempt_at, created_at)
    select 'cs_test_bench' || g, 'order', k.kind, k.target, (case when k.kind = 'email' then '{"to":"buyer@example.com","order":' else '{"url":"' || ${sinks.callbackUrl} || '","order":' end || ${order} || '}')::jsonb, 'pending', now(), now()
    from generate_series(1, ${sessions}) g cross join (values ('email', 'buyer@example.com'), ('callback', ${sinks.callbackUrl})) as k(kind, target)`;
  const base = env(db, prefix, { SMTP_URL: sinks.smtpUrl, MAIL_FROM: 'Shop <orders@example.com>', CALLBACK_URLS: sinks.callbackUrl, CALLBACK_SECRET, STRIPE_API_BASE: 'http://127.0.0.1:1' });
  const t0 = performance.now();
  const worker = await start('src/entry/worker.ts', base, 'worker started', process.env.BENCH_WORKER_NODE_ARGS?.split(' '));
  const delivered = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from fulfillment_effects where status = 'delivered'`)[0]?.n ?? 0;
  await waitUntil(async () => (await delivered()) >= 2 * sessions, 10 * 60_000);
  const seconds = (performance.now() - t0) / 1000;
  const received = sinks.counts();
  const cpu = await cpuOf(db, worker.child.pid);
  await stop(worker);
  return {
    effects: 2 * sessions,
    seconds: seconds.toFixed(1),
    'effects/s, one dispatcher process (EFFECT_CONCURRENCY 50)': Math.round((2 * sessions) / seconds),
    'received: mails / callbacks': `${received.mails} / ${received.callbacks}`,
    'worker / Postgres CPU, ms per effect': `${((1000 * cpu.worker) / (2 * sessions)).toFixed(2)} / ${((1000 * cpu.postgres) / (2 * sessions)).toFixed(2)}`,
  };
}

/**
 * 10,000 sessions (BENCH_EFFECTS_SESSIONS): with 5,000 a run of "off" lasts ~6 s and swung by 15 % from one
 * run to the next (748 and 858 sessions/s, 13:04), more than the target's margin.
 */
export async function effectsSection(): Promise<void> {
  const sessions = Number(process.env.BENCH_EFFECTS_SESSIONS ?? 10_000);
  table(`6a. Outbox dispatcher: ${(2 * sessions).toLocaleString('en')} committed effects (receipt email + callback), local receivers, one worker process, start-up included`, [
    await dispatcherRate(sessions),
  ]);
  const off = await drain(sessions, false);
  const on = await drain(sessions, true);
  const ratio = Number(on['sessions/s (all fulfilled)']) / Number(off['sessions/s (all fulfilled)']);
  const cpuKey = 'worker / Postgres CPU, ms per session';
  const [onCpu, offCpu] = [on, off].map((r) => String(r[cpuKey]).split(' / ').map(Number));
  const cpuRatio = [0, 1].map((i) => `${((onCpu?.[i] ?? 0) / (offCpu?.[i] ?? 1)).toFixed(2)}×`).join(' / ');
  table(`6b. Cost of the outbox end to end: ${sessions.toLocaleString('en')} paid sessions × 5 line items, backlog drained by one worker process (target: ≥ 0.85 of "off")`, [
    off,
    on,
    { effects: 'ratio on / off', sessions: '', 'sessions/s (all fulfilled)': ratio.toFixed(2), 'effects delivered': '', 'seconds until every effect delivered': '', 'received: mails / callbacks': '', [cpuKey]: cpuRatio },
  ]);
}
