import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { slowClient, webhookHead, type SlowClient } from '../../helpers/slow-client.js';
import { startStack, WEBHOOK_SECRET, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const MIB = 1024 * 1024;
/** Timeouts far beyond the test: whatever ends a slow connection here, it is not the request timeout. */
const NO_TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '600000', HTTP_REQUEST_TIMEOUT_MS: '600000' };

/** A POST from a chosen source address (another 127.0.0.x is another client). */
function post(port: number, path: string, body: string, headers: Record<string, string>, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', localAddress, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(port: number, path: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens `count` slow webhook uploads from one address, `batch` at a time, each waiting until written or refused. */
async function flood(port: number, localAddress: string, count: number, batch = 200): Promise<SlowClient[]> {
  const clients: SlowClient[] = [];
  for (let i = 0; i < count; i += batch) {
    const round = Array.from({ length: Math.min(batch, count - i) }, () => slowClient({ port, localAddress, head: webhookHead(MIB), drip: '{', intervalMs: 1000 }));
    clients.push(...round);
    await Promise.all(round.map((c) => c.ready));
  }
  return clients;
}

/** The slow-body attack of issue 23 against the real api process: many connections, and a SIGTERM among them. */
describe('slow clients', () => {
  let stack: Stack;
  let signedBody: string;
  const processes: RunningProcess[] = [];
  const clients: SlowClient[] = [];

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    const session = stack.emulator.store.createSession({ lineItems: items(1) });
    signedBody = JSON.stringify(stack.emulator.store.complete(session.id, { paymentStatus: 'paid' }));
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.stop();
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await stack.close();
  });

  async function startApi(extra: Record<string, string>): Promise<{ api: RunningProcess; port: number }> {
    const port = await freePort();
    const api = startProcess('src/entry/api.ts', stack.env({ PORT: String(port), LOG_LEVEL: 'info', ...extra }));
    processes.push(api);
    await waitForOutput(api, 'api listening');
    return { api, port };
  }

  it('2,000 slow connections from one address: it keeps HTTP_MAX_CONNECTIONS_PER_CLIENT of them, and a signed webhook from another is answered 200', async () => {
    const { port } = await startApi({ ...NO_TIMEOUTS, HTTP_MAX_CONNECTIONS_PER_CLIENT: '100', TRUST_PROXY: '127.0.0.4' });
    const attack = await flood(port, '127.0.0.1', 2000);
    clients.push(...attack);
    // The refused ones are closed at once; the kept ones stay (nothing else cuts them in this test).
    const held = await waitFor(() => {
      const open = attack.filter((c) => c.open()).length;
      return open <= 100 ? open : undefined;
    }, 'refused connections closed');
    expect(held).toBe(100);

    const header = signPayload(signedBody, [WEBHOOK_SECRET]);
    const webhook = await post(port, '/webhook', signedBody, { 'content-type': 'application/json', 'stripe-signature': header }, '127.0.0.2');
    expect(webhook.status, webhook.body).toBe(200);
    expect(JSON.parse(webhook.body)).toMatchObject({ received: true, jobId: expect.any(String) });
    expect((await get(port, '/healthz', '127.0.0.3')).status).toBe(200);
    const metrics = await get(port, '/metrics', '127.0.0.3');
    const refused = Number(/^fulfillment_http_connections_refused_total\{[^}]*\} (\d+)$/m.exec(metrics.body)?.[1]);
    expect(refused).toBe(1900);

    // A listed proxy carries many clients' connections: it is never capped.
    const proxied = await flood(port, '127.0.0.4', 150);
    clients.push(...proxied);
    await sleep(200);
    expect(proxied.filter((c) => c.open())).toHaveLength(150);
    for (const c of clients.splice(0)) c.stop();
  });

  it('SIGTERM with slow bodies, slow headers and a silent connection in flight: the drain closes them and exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const { api, port } = await startApi({ ...NO_TIMEOUTS, SHUTDOWN_TIMEOUT_MS: '5000' });
    const slow = [
      ...Array.from({ length: 5 }, () => slowClient({ port, head: webhookHead(MIB), drip: '{', intervalMs: 200 })),
      ...Array.from({ length: 2 }, () => slowClient({ port, head: 'GET /healthz HTTP/1.1\r\nHost: x\r\n', drip: 'X-Slow: 1\r\n', intervalMs: 200 })),
      slowClient({ port, head: '' }),
    ];
    clients.push(...slow);
    await Promise.all(slow.map((c) => c.ready));
    // Let the server parse the heads it was sent.
    await sleep(300);
    api.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.output()).toContain('shut down cleanly');
    expect(api.output()).not.toContain('shutdown deadline passed');
    expect(api.output()).toContain('closed connections with no complete request');
    for (const c of slow) expect(c.open()).toBe(false);
  });
});
