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
    ['a signature 10 minutes in the future', { 'stripe-signature': signPayload('{}', [WEBHOOK_SECRET], Math.floor(Date.now() / 1000) + 600) }, 'future_signature'],
    ['a signature a year in the future', { 'stripe-signature': `t=${Math.floor(Date.now() / 1000) + 365 * 86_400},v1=${'ab'.repeat(32)}` }, 'future_signature'],
  ])('refuses %s before reading a 1 MiB body', async (_name, headers, error) => {
    const res = await headersOnly(`${base}/webhook`, headers, 1024 * 1024 - 1);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error });
  });

  it('never takes the caller\'s x-request-id: each request gets its own UUID, logged as reqId and sent back as x-request-id', async () => {
    const post = (requestId: string) => fetch(`${base}/webhook`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-request-id': requestId } });
    const given = ['lb-trace.0123_abc-XYZ', 'lb-trace.0123_abc-XYZ', 'x'.repeat(8192), 'has spaces and "quotes"'];
    const answered: string[] = [];
    for (const id of given) answered.push((await post(id)).headers.get('x-request-id') ?? '');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const id of answered) expect(id).toMatch(uuid);
    // The same id given twice is two requests in the logs, not one.
    expect(new Set(answered).size).toBe(given.length);
    const logged = await waitFor(() => {
      const ids = api
        .output()
        .split('\n')
        .filter((l) => l.includes('"webhook rejected"'))
        .map((l) => (JSON.parse(l) as { reqId: string }).reqId);
      return answered.every((id) => ids.includes(id)) ? ids : undefined;
    }, 'a rejection log line per request, under the id sent back');
    expect(logged).not.toContain('lb-trace.0123_abc-XYZ');
    expect(Math.max(...api.output().split('\n').map((l) => l.length))).toBeLessThan(1000);
  });
});
