import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { slowClient, webhookHead, type SlowEnd } from '../../helpers/slow-client.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/** Short limits, so that each case ends in seconds; the defaults are 10 s, 30 s and 72 s (README). */
const LIMITS = { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1500' };
const MIB = 1024 * 1024;

/** Cut by the server: a 408, or a close without a word; never the whole request sent. */
function expectCut(end: SlowEnd, promised: number): void {
  expect(end.statusLine === '' || end.statusLine.startsWith('HTTP/1.1 408'), end.statusLine).toBe(true);
  expect(end.bytesSent).toBeLessThan(promised);
}

const portOf = (p: RunningProcess, msg: string, field: string) => {
  const line = p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === msg);
  return Number(new URL(String(line?.[field])).port);
};

/** Slow senders are cut on every listener the project runs: the api, a worker's HTTP port, the emulator and the demo mailbox. */
describe('listener timeouts (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  let stack: Stack;
  let api: RunningProcess;
  let apiPort: number;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    apiPort = await freePort();
    api = startProcess('src/entry/api.ts', stack.env({ PORT: String(apiPort), LOG_LEVEL: 'info', ...LIMITS }));
    processes.push(api);
    await waitForOutput(api, 'api listening');
  });
  afterAll(async () => {
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await stack.close();
  });

  it('api: a webhook body trickled one byte every 200 ms is answered 408 and closed, and the api keeps serving', async () => {
    const client = slowClient({ port: apiPort, head: webhookHead(MIB), drip: '{', intervalMs: 200 });
    expectCut(await client.ended, MIB);
    expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);
  });

  it('api: headers trickled one line at a time are answered 408', async () => {
    const client = slowClient({ port: apiPort, head: 'GET /healthz HTTP/1.1\r\nHost: x\r\n', drip: 'X-Slow: 1\r\n', intervalMs: 200 });
    const end = await client.ended;
    expect(end.statusLine).toMatch(/^HTTP\/1\.1 408/);
  });

  it('api: a connection that sends nothing, and a kept-alive one left idle, are closed', async () => {
    const silent = slowClient({ port: apiPort, head: '' });
    expect((await silent.ended).bytesSent).toBe(0);
    // One request answered, then nothing: the keep-alive timeout closes it.
    const idle = connect(apiPort, '127.0.0.1');
    let answer = '';
    idle.on('data', (d: Buffer) => (answer += d.toString()));
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await new Promise((resolve) => idle.on('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer.toLowerCase()).toContain('keep-alive');
  });

  it('api: a kept-alive connection that trickles bare line breaks after its answer is closed (Node alone keeps it open)', async () => {
    // Found by test/fuzz/slow-requests.fuzz.test.ts: Node's parser skips CR/LF between requests and each byte restarts
    // the keep-alive timer, so the headers and keep-alive timeouts never fire.
    for (const drip of ['\n', '\r']) {
      const client = slowClient({ port: apiPort, head: 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', drip, intervalMs: 100 });
      const end = await client.ended;
      expect(end.statusLine).toMatch(/^HTTP\/1\.1 200/);
    }
  });

  it("a worker's HTTP port (WORKER_HTTP_PORT) cuts a trickled request too", async () => {
    const port = await freePort();
    const worker = startProcess('src/entry/worker.ts', stack.env({ WORKER_HTTP_PORT: String(port), LOG_LEVEL: 'info', ...LIMITS }));
    processes.push(worker);
    await waitForOutput(worker, 'worker started');
    const client = slowClient({ port, head: 'GET /metrics HTTP/1.1\r\nHost: x\r\n', drip: 'X-Slow: 1\r\n', intervalMs: 200 });
    expect((await client.ended).statusLine).toMatch(/^HTTP\/1\.1 408/);
  });

  it('npm run demo: the emulator and the demo mailbox cut trickled requests too', async () => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const demo = startProcess(
      'src/entry/start.ts',
      { ...stack.env({ LOG_LEVEL: 'info', PORT: String(port), EMULATOR_PORT: String(emulatorPort), ...LIMITS }), STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', STRIPE_API_BASE: '' },
      [],
      ['--demo'],
    );
    processes.push(demo);
    await waitForOutput(demo, 'demo shop: open');
    const mailboxPort = portOf(demo, 'demo mailbox: receipt emails land here', 'url');
    // The emulator: a body (past its API-key check, which answers before the body otherwise).
    const head = 'POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_slow\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n';
    expectCut(await slowClient({ port: emulatorPort, head, drip: 'a', intervalMs: 200 }).ended, 100_000);
    // The mailbox serves only GETs: slow headers.
    const mailbox = slowClient({ port: mailboxPort, head: 'GET /demo/mailbox HTTP/1.1\r\nHost: x\r\n', drip: 'X-Slow: 1\r\n', intervalMs: 200 });
    expect((await mailbox.ended).statusLine).toMatch(/^HTTP\/1\.1 408/);
  });
});
