import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { WEBHOOK_SECRET, startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Sends only the headers of a POST that announces `contentLength` bytes and never sends the body: an
 * answer can only come from a check that ran before the body was read.
 */
function headersOnly(url: string, headers: Record<string, string>, contentLength: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(contentLength) } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('webhook edge', () => {
  let stack: Stack;
  let api: RunningProcess;
  let base: string;
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    const port = await freePort();
    api = startProcess('src/entry/api.ts', stack.env({ PORT: String(port), LOG_LEVEL: 'info' }));
    await waitForOutput(api, 'api listening');
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    api.kill('SIGTERM');
    await api.exited;
    await stack.close();
  });

  it.each([
    ['no Stripe-Signature', {}, 'missing_signature'],
    ['a malformed Stripe-Signature', { 'stripe-signature': 'v1=abc' }, 'malformed_signature'],
    ['a signature 10 minutes old', { 'stripe-signature': signPayload('{}', [WEBHOOK_SECRET], Math.floor(Date.now() / 1000) - 600) }, 'expired_signature'],
  ])('refuses %s before reading a 1 MiB body', async (_name, headers, error) => {
    const res = await headersOnly(`${base}/webhook`, headers, 1024 * 1024 - 1);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error });
  });

  it('logs a short plain x-request-id as reqId and replaces anything else with a generated id', async () => {
    const post = (requestId: string) => fetch(`${base}/webhook`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-request-id': requestId } });
    await post('lb-trace.0123_abc-XYZ');
    await post('x'.repeat(8192));
    await post('has spaces and "quotes"');
    await post('y'.repeat(65));
    const lines = await waitFor(() => {
      const found = api
        .output()
        .split('\n')
        .filter((l) => l.includes('"webhook rejected"'))
        .map((l) => JSON.parse(l) as { reqId: string });
      // Log lines are written in request order; the earlier tests' lines come before.
      const first = found.findIndex((l) => l.reqId === 'lb-trace.0123_abc-XYZ');
      return first >= 0 && found.length >= first + 4 ? found.slice(first + 1, first + 4) : undefined;
    }, 'four rejection log lines');
    for (const { reqId } of lines) expect(reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Math.max(...api.output().split('\n').map((l) => l.length))).toBeLessThan(1000);
  });
});
