import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const admin = { username: 'ops', password: 'correct-horse-battery' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The operator login cannot be brute-forced: a per-client lockout shared by every api process. */
describe('Bull Board login', () => {
  let stack: Stack;
  let apiProcess: RunningProcess;
  let processUrl: string;

  beforeAll(async () => {
    stack = await startStack({ admin, trustProxy: true, workers: 0 });
    const port = await freePort();
    processUrl = `http://127.0.0.1:${port}`;
    apiProcess = startProcess(
      'src/entry/api.ts',
      stack.env({ LOG_LEVEL: 'info', PORT: String(port), ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password, TRUST_PROXY: '127.0.0.1' }),
    );
    await waitForOutput(apiProcess, 'api listening');
  });
  afterAll(async () => {
    apiProcess.kill();
    await apiProcess.exited;
    await stack.close();
  });

  const board = (base: string, client: string, password: string) =>
    fetch(`${base}/admin/queues`, { headers: { authorization: basic(admin.username, password), 'x-forwarded-for': client } });

  it('500 wrong passwords: 10 answered 401, then the client is locked out, the right password included', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 500; i++) codes.push((await board(stack.apiUrl, '198.51.100.7', `guess-${i}-aaaaaaaa`)).status);
    // The 11th failure starts the lockout; from then on credentials are not even looked at.
    expect(codes.slice(0, 11)).toEqual(Array.from({ length: 11 }, () => 401));
    expect(codes.slice(11).every((c) => c === 429)).toBe(true);
    const right = await board(stack.apiUrl, '198.51.100.7', admin.password);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await right.json()).toMatchObject({ error: 'login_locked' });

    // Fleet-wide: another api process (its own memory) refuses the same client too.
    expect((await board(processUrl, '198.51.100.7', admin.password)).status).toBe(429);
    // Another client logs in as usual, on either process.
    expect((await board(stack.apiUrl, '198.51.100.8', admin.password)).status).toBe(200);
    expect((await board(processUrl, '198.51.100.8', admin.password)).status).toBe(200);
  });

  it('an IPv6 client is its /64: new addresses in it do not buy new guesses', async () => {
    const codes: number[] = [];
    for (let i = 1; i <= 12; i++) codes.push((await board(stack.apiUrl, `2001:db8:7:8::${i.toString(16)}`, 'wrong-password-z')).status);
    expect(codes).toEqual([...Array.from({ length: 11 }, () => 401), 429]);
    expect((await board(stack.apiUrl, '2001:db8:7:8:ffff::1', admin.password)).status).toBe(429);
    expect((await board(stack.apiUrl, '2001:db8:7:9::1', admin.password)).status).toBe(200);
  });

  it('a good login clears a client\'s earlier failures', async () => {
    const client = '198.51.100.9';
    for (let i = 0; i < 8; i++) expect((await board(stack.apiUrl, client, 'wrong-password-x')).status).toBe(401);
    expect((await board(stack.apiUrl, client, admin.password)).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await board(stack.apiUrl, client, 'wrong-password-x')).status).toBe(401);
  });

  it('serves the board with security headers and never cached', async () => {
    const res = await board(stack.apiUrl, '198.51.100.10', admin.password);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const api = await fetch(`${stack.apiUrl}/admin/queues/api/queues`, { headers: { authorization: basic(admin.username, admin.password), 'x-forwarded-for': '198.51.100.10' } });
    expect(api.status).toBe(200);
    expect(api.headers.get('cache-control')).toBe('no-store');
    // Even the 401 challenge is not cached.
    const refused = await board(stack.apiUrl, '198.51.100.11', 'wrong-password-y');
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});
