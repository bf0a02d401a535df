import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../src/emulator/webhook-sender.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../helpers/processes.js';
import { items } from '../helpers/sessions.js';
import { slowClient } from '../helpers/slow-client.js';
import { startStack, WEBHOOK_SECRET, type Stack } from '../helpers/stack.js';
import { printCounts, runs, tally, TIMEOUT_MS } from './budget.js';

/** Short limits so that a generated connection ends in seconds (defaults: 10 s, 30 s, 72 s). */
const LIMITS = { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' };
/** Connections held at once: well under HTTP_MAX_CONNECTIONS_PER_CLIENT's 256, all from one address. */
const BATCH = 100;

const now = () => Math.floor(Date.now() / 1000);
const heads = fc.oneof(
  fc.constant({ method: 'POST', path: '/webhook', signature: true }),
  fc.constant({ method: 'POST', path: '/webhook', signature: false }),
  fc.constant({ method: 'GET', path: '/healthz', signature: false }),
  fc.constant({ method: 'GET', path: '/api/checkout-sessions/cs_test_slow', signature: false }),
  fc.constant({ method: 'GET', path: '/after-checkout?session_id=cs_test_slow', signature: false }),
);

/** One connection: a request cut anywhere (in the headers, in the body, or not at all), then perhaps a trickle. */
const connections = fc.record({
  head: heads,
  contentLength: fc.integer({ min: 0, max: 4096 }),
  chunked: fc.boolean(),
  /** Where the bytes stop: a fraction of the whole request (>= 1: all of it). */
  cut: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)),
  /** A byte every this many ms after the cut; undefined: nothing more. */
  dripMs: fc.option(fc.integer({ min: 20, max: 400 }), { nil: undefined }),
  dripByte: fc.constantFrom('a', '{', '\r', '\n', ' ', '0'),
  timestampOffset: fc.oneof(fc.constant(0), fc.integer({ min: -1_000_000, max: 1_000_000 })),
});
type Connection = typeof connections extends fc.Arbitrary<infer C> ? C : never;

function bytes(c: Connection, body: string): string {
  const lines = [`${c.head.method} ${c.head.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json'];
  if (c.head.signature) lines.push(`Stripe-Signature: ${signPayload(body, [WEBHOOK_SECRET], now() + c.timestampOffset)}`);
  if (c.chunked) lines.push('Transfer-Encoding: chunked');
  else if (c.head.method === 'POST') lines.push(`Content-Length: ${c.contentLength}`);
  const payload = c.head.method !== 'POST' ? '' : c.chunked ? `${c.contentLength.toString(16)}\r\n${body.padEnd(c.contentLength, ' ').slice(0, c.contentLength)}\r\n0\r\n\r\n` : body.padEnd(c.contentLength, ' ').slice(0, c.contentLength);
  const whole = `${lines.join('\r\n')}\r\n\r\n${payload}`;
  return c.cut >= 1 ? whole : whole.slice(0, Math.floor(whole.length * c.cut));
}

/**
 * Connections that stop or trickle anywhere, against the real api process with short listener limits: every
 * one ends (answered or closed) without the client closing it, nothing is a 5xx, and the api still serves.
 */
describe('fuzz: slow and cut requests (listener timeouts)', () => {
  let stack: Stack;
  let api: RunningProcess;
  let port: number;
  let body: string;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    const session = stack.emulator.store.createSession({ lineItems: items(1) });
    body = JSON.stringify(stack.emulator.store.complete(session.id, { paymentStatus: 'paid' }));
    port = await freePort();
    api = startProcess('src/entry/api.ts', stack.env({ PORT: String(port), LOG_LEVEL: 'info', LANDING_WAIT_MS: '300', ...LIMITS }));
    await waitForOutput(api, 'api listening');
  });
  afterAll(async () => {
    printCounts('slow requests');
    api.kill('SIGTERM');
    await api.exited;
    await stack.close();
  });

  it('ends every connection on its own, never answers 5xx, and keeps serving', async () => {
    const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
    const cases = fc.sample(connections, { numRuns: runs(2_000, 100), ...(seed === undefined ? {} : { seed }) });
    for (let i = 0; i < cases.length; i += BATCH) {
      const batch = cases.slice(i, i + BATCH);
      const ends = await Promise.all(
        batch.map(async (c) => {
          const client = slowClient({ port, head: bytes(c, body), ...(c.dripMs === undefined ? {} : { drip: c.dripByte, intervalMs: c.dripMs }) });
          return { c, end: await client.ended };
        }),
      );
      for (const { c, end } of ends) {
        tally('slow requests: connections');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(end.statusLine)?.[1] ?? 0);
        expect(status < 500, `${JSON.stringify(c)}: ${end.statusLine}`).toBe(true);
      }
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    const signed = await fetch(`http://127.0.0.1:${port}/webhook`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, [WEBHOOK_SECRET]) } });
    expect(signed.status).toBe(200);
  }, TIMEOUT_MS);
});
