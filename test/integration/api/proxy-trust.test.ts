import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const admin = { username: 'ops', password: 'correct-horse-battery' };
const basic = (password: string) => `Basic ${Buffer.from(`${admin.username}:${password}`).toString('base64')}`;
/** The proxy the api trusts; any other source address is a client reaching the api directly. */
const PROXY = '127.0.0.1';

/** A GET from a source address, with the X-Forwarded-For it carries (what the client wrote, plus what the proxy appended). */
function get(port: number, path: string, opts: { from: string; xff?: string; password?: string }): Promise<number> {
  const headers: Record<string, string> = {};
  if (opts.xff !== undefined) headers['x-forwarded-for'] = opts.xff;
  if (opts.password !== undefined) headers.authorization = basic(opts.password);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: opts.from, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

let n = 0;
/** What a client writes to pick an address: a fresh one each time. */
const spoofed = () => `198.18.${(++n >> 8) & 255}.${n & 255}`;

/**
 * TRUST_PROXY with the proxy's address: the client address is the one the proxy saw (the rightmost
 * X-Forwarded-For entry it appended), whatever the client wrote to the left of it (issue 23).
 */
describe('TRUST_PROXY=<proxy address>: clients behind it cannot pick their address', () => {
  let stack: Stack;
  let api: RunningProcess;
  let port: number;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    port = await freePort();
    api = startProcess(
      'src/entry/api.ts',
      stack.env({ PORT: String(port), LOG_LEVEL: 'info', TRUST_PROXY: PROXY, RATE_LIMIT_PER_MINUTE: '5', ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password }),
    );
    await waitForOutput(api, 'api listening');
  });
  afterAll(async () => {
    api.kill('SIGTERM');
    await api.exited;
    await stack.close();
  });

  it('the Bull Board lockout holds against X-Forwarded-For rotation, and another client still logs in', async () => {
    const attacker = '203.0.113.7';
    const codes: number[] = [];
    for (let i = 0; i < 14; i++) codes.push(await get(port, '/admin/queues', { from: PROXY, xff: `${spoofed()}, ${attacker}`, password: `guess-${i}-aaaaaaaa` }));
    expect(codes).toEqual([...Array.from({ length: 11 }, () => 401), 429, 429, 429]);
    expect(await get(port, '/admin/queues', { from: PROXY, xff: `${spoofed()}, ${attacker}`, password: admin.password })).toBe(429);
    expect(await get(port, '/admin/queues', { from: PROXY, xff: '198.51.100.20', password: admin.password })).toBe(200);
  });

  it("a client cannot lock the operator out by writing the operator's address", async () => {
    const operator = '198.51.100.30';
    for (let i = 0; i < 12; i++) await get(port, '/admin/queues', { from: PROXY, xff: `${operator}, 203.0.113.8`, password: 'wrong-password-z' });
    expect(await get(port, '/admin/queues', { from: PROXY, xff: `${operator}, 203.0.113.8`, password: admin.password })).toBe(429);
    expect(await get(port, '/admin/queues', { from: PROXY, xff: operator, password: admin.password })).toBe(200);
  });

  it('a client reaching the api directly is its own address, whatever X-Forwarded-For it sends', async () => {
    const direct = '127.0.0.2';
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push(await get(port, '/admin/queues', { from: direct, xff: spoofed(), password: 'wrong-password-y' }));
    expect(codes).toEqual([...Array.from({ length: 11 }, () => 401), 429]);
    expect(await get(port, '/admin/queues', { from: '127.0.0.3', password: admin.password })).toBe(200);
  });

  it("the status API's per-client limit (RATE_LIMIT_PER_MINUTE) is not bypassed by rotating X-Forwarded-For", async () => {
    const client = '203.0.113.9';
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push(await get(port, '/api/checkout-sessions/cs_test_nobody', { from: PROXY, xff: `${spoofed()}, ${client}` }));
    expect(codes.slice(0, 5).every((c) => c !== 429)).toBe(true);
    expect(codes.slice(5)).toEqual([429, 429]);
    expect(await get(port, '/api/checkout-sessions/cs_test_nobody', { from: PROXY, xff: '203.0.113.10' })).not.toBe(429);
  });

  it('the rate limiter counts an IPv6 client by its /64, as the lookup caps and the lockout do', async () => {
    const codes: number[] = [];
    for (let i = 1; i <= 7; i++) codes.push(await get(port, '/api/checkout-sessions/cs_test_nobody', { from: PROXY, xff: `2001:db8:5:6:${i.toString(16)}::${i.toString(16)}` }));
    expect(codes.slice(0, 5).every((c) => c !== 429)).toBe(true);
    expect(codes.slice(5)).toEqual([429, 429]);
    expect(await get(port, '/api/checkout-sessions/cs_test_nobody', { from: PROXY, xff: '2001:db8:5:7::1' })).not.toBe(429);
  });
});
