import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { compiled, runCli, startProcess } from '../../helpers/processes.js';
import { spawnTracked } from '../../helpers/spawned.js';
import { items } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

type Line = Record<string, unknown>;

/** Asserts the output is JSON lines only, with exactly one fatal line (no stack trace anywhere); returns it. */
function fatalLine(output: string): Line {
  expect(output).not.toMatch(/\n\s+at |node:internal/);
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
  const fatal = lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level === 60 || l.level === 'fatal');
  expect(fatal, output).toHaveLength(1);
  return fatal[0] as Line;
}

/** Holds a port, as something else listening there would. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

/** Every start failure is one line naming the cause, the variable and the fix, and a non-zero exit. */
describe('start failures', () => {
  let stack: Stack;
  const servers: Server[] = [];
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await stack.close();
  });

  async function run(entry: string, env: Record<string, string>, args: string[] = []) {
    const p = startProcess(entry, env, [], args);
    const code = await p.exited;
    return { code, output: p.output() };
  }

  it.each([
    ['api', 'src/entry/api.ts'],
    ['worker', 'src/entry/worker.ts'],
  ])('%s: Postgres unreachable names DATABASE_URL', async (_role, entry) => {
    const { code, output } = await run(entry, stack.env({ DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/fulfillment' }));
    expect(code).toBe(1);
    const line = fatalLine(output);
    expect(line).toMatchObject({ code: 'postgres_unreachable', variable: 'DATABASE_URL', fix: expect.stringContaining('DATABASE_URL') });
    expect(String(line.msg)).toContain('127.0.0.1:1');
    // The password never reaches the log.
    expect(output).not.toContain('secret');
  });

  it.each([
    ['api', 'src/entry/api.ts'],
    ['worker', 'src/entry/worker.ts'],
  ])('%s: Redis unreachable names REDIS_URL', async (_role, entry) => {
    const { code, output } = await run(entry, stack.env({ REDIS_URL: 'redis://127.0.0.1:1' }));
    expect(code).toBe(1);
    expect(fatalLine(output)).toMatchObject({ code: 'redis_unreachable', variable: 'REDIS_URL', fix: expect.stringContaining('REDIS_URL') });
  });

  it('api: a port in use names PORT', async () => {
    const { port, server } = await occupy();
    servers.push(server);
    const { code, output } = await run('src/entry/api.ts', stack.env({ PORT: String(port) }));
    expect(code).toBe(1);
    expect(fatalLine(output)).toMatchObject({ code: 'port_in_use', variable: 'PORT', fix: expect.stringContaining('PORT') });
  });

  it('worker: a port in use names WORKER_HTTP_PORT', async () => {
    const { port, server } = await occupy();
    servers.push(server);
    const { code, output } = await run('src/entry/worker.ts', stack.env({ WORKER_HTTP_PORT: String(port) }));
    expect(code).toBe(1);
    expect(fatalLine(output)).toMatchObject({ code: 'port_in_use', variable: 'WORKER_HTTP_PORT' });
  });

  /** `npm start` / `npm run demo` without Stripe settings (the emulator's own port, the api's port). */
  const localEnv = (extra: Record<string, string>) => ({ ...stack.env({ LOG_LEVEL: 'info' }), STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', STRIPE_API_BASE: '', ...extra });

  it('npm start: the emulator port in use names EMULATOR_PORT', async () => {
    const { port, server } = await occupy();
    servers.push(server);
    const { code, output } = await run('src/entry/start.ts', localEnv({ EMULATOR_PORT: String(port), PORT: String(await freePort()) }));
    expect(code).toBe(1);
    expect(fatalLine(output)).toMatchObject({ code: 'port_in_use', variable: 'EMULATOR_PORT' });
  });

  it('npm run demo: the api port in use names PORT before any work, and the "open http://…" banner never shows', async () => {
    const { port, server } = await occupy();
    servers.push(server);
    const { code, output } = await run('src/entry/start.ts', localEnv({ PORT: String(port), EMULATOR_PORT: String(await freePort()), RECONCILE_INTERVAL: '1h' }), ['--demo']);
    expect(code).toBe(1);
    expect(fatalLine(output)).toMatchObject({ code: 'port_in_use', variable: 'PORT' });
    expect(output).not.toContain('demo shop: open');
    // Said before the worker took any job (it once ran a whole reconciliation first).
    expect(output).not.toContain('worker started');
    expect(output).not.toContain('reconciliation started');
  });

  it('a key of the wrong type names the variable and exits 2', async () => {
    const { code, output } = await run('src/entry/api.ts', stack.env({ STRIPE_SECRET_KEY: 'pk_test_123abc', STRIPE_WEBHOOK_SECRET: 'sk_test_notasecret' }));
    expect(code).toBe(2);
    const line = fatalLine(output);
    expect(line).toMatchObject({ code: 'config_invalid', variables: ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] });
  });

  it('TRUST_PROXY=true is refused with one line saying what to give instead, and exits 2', async () => {
    const { code, output } = await run('src/entry/api.ts', stack.env({ TRUST_PROXY: 'true' }));
    expect(code).toBe(2);
    const line = fatalLine(output);
    expect(line).toMatchObject({ code: 'config_invalid', variables: ['TRUST_PROXY'] });
    expect(String(line.msg)).toMatch(/TRUST_PROXY: true would let every client pick its own address.*addresses or CIDRs.*hop count/);
  });

  it('npm start with STRIPE_SECRET_KEY alone asks for STRIPE_WEBHOOK_SECRET, not for "npm start"', async () => {
    const { code, output } = await run('src/entry/start.ts', localEnv({ STRIPE_SECRET_KEY: 'sk_test_123abc' }));
    expect(code).toBe(2);
    const line = fatalLine(output);
    expect(line).toMatchObject({ code: 'config_invalid', variables: ['STRIPE_WEBHOOK_SECRET'] });
    expect(String(line.msg)).not.toContain('npm start');
  });

  it('CLI: a database that does not exist names DATABASE_URL and the fix', async () => {
    const missing = new URL(stack.db.url);
    missing.pathname = '/fulfillment_does_not_exist';
    const run = await runCli(['status', 'cs_test_1'], stack.env({ DATABASE_URL: missing.toString() }));
    expect(run.code).toBe(3);
    expect(fatalLine(run.stderr)).toMatchObject({ code: 'database_missing', variable: 'DATABASE_URL', fix: expect.stringContaining('db:migrate') });
  });

  it('CLI: without Stripe settings it reaches the local emulator at EMULATOR_PORT, as npm run demo runs it', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    const env = localEnv({ EMULATOR_PORT: new URL(stack.emulator.url()).port });
    const run = await runCli(['fulfill', s.id], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sessionId: s.id, status: 'fulfilled' });
  });

  it('CLI: the local emulator not running names EMULATOR_PORT and says to start the demo', async () => {
    const run = await runCli(['fulfill', 'cs_test_abc123'], localEnv({ EMULATOR_PORT: String(await freePort()) }));
    expect(run.code).toBe(3);
    expect(fatalLine(run.stderr)).toMatchObject({ code: 'stripe_unreachable', variable: 'EMULATOR_PORT', fix: expect.stringContaining('npm run demo') });
  });

  /** Runs an entry point with stdout a terminal (util-linux `script` gives it a pseudo-terminal). */
  function inTerminal(entry: string, env: Record<string, string>): Promise<string> {
    const child = spawnTracked('script', ['-qec', `${process.execPath} ${compiled(entry)}`, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise((resolve) => child.on('exit', () => resolve(out)));
  }

  it('logs read as text in a terminal outside production, and stay JSON in production', async () => {
    const bad = { PATH: process.env.PATH ?? '', STRIPE_SECRET_KEY: 'pk_test_123abc' };
    const text = await inTerminal('src/entry/api.ts', { ...bad, NODE_ENV: 'development' });
    expect(text).toMatch(/FATAL.*invalid configuration: STRIPE_SECRET_KEY/);
    expect(text).not.toMatch(/^\{/m);
    // One line, its fields included (pino-pretty's default is a line per field).
    expect(text.trim().split('\n')).toHaveLength(1);
    const json = await inTerminal('src/entry/api.ts', { ...bad, NODE_ENV: 'production' });
    expect(JSON.parse(json.trim())).toMatchObject({ level: 60, code: 'config_invalid' });
  });
});
