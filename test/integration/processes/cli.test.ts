import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../helpers/processes.js';
import { spawnTracked } from '../../helpers/spawned.js';
import { items, permanentlyFailedSession, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/** `npx fulfillment <args>` in the checkout, as the README says to pipe it: its exit code and stdout. */
function npmCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const child = spawnTracked('npx', ['fulfillment', ...args], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), env: { HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout })));
}

/** `npm run cli -- …` as an operator runs it: a real process, its output and exit code. */
describe('operator CLI', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ attempts: 2 });
  });
  afterAll(async () => stack.close());

  it('fulfill <id> runs fulfillment now and prints the result; status <id> prints the record', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(3) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    const run = await runCli(['fulfill', s.id], stack.env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sessionId: s.id, status: 'fulfilled', changed: true, lineItemCount: 3 });
    const again = await runCli(['fulfill', s.id], stack.env());
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'fulfilled', changed: false });

    const status = await runCli(['status', s.id], stack.env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ session_id: s.id, status: 'fulfilled', line_items: expect.any(Array) });

    // Through npm, as typed with `| jq` (README): nothing but the CLI's JSON on stdout.
    const viaNpm = await npmCli(['status', s.id], stack.env());
    expect(viaNpm.code).toBe(0);
    expect(JSON.parse(viaNpm.stdout)).toMatchObject({ session_id: s.id, status: 'fulfilled' });
  });

  it.each([
    [['status', 'cs_test_neverseen123'], 1, /no record of cs_test_neverseen123/],
    [['fulfill', 'cs_test_unknownatstripe1'], 1, /Stripe refused: No such checkout.session/],
    [[], 2, /no command given/],
    [['chargeback', 'cs_test_1'], 2, /unknown command "chargeback"/],
    [['status'], 2, /expected a Checkout Session id/],
    [['status', 'pi_123'], 2, /expected a Checkout Session id/],
    [['status', 'cs_test_1', 'extra'], 2, /unexpected argument/],
    [['reconcile', '--since', 'yesterday'], 2, /--since must be a duration/],
    [['fulfill', 'cs_test_1', '--account', 'bob'], 2, /--account must be a connected account id/],
    [['status', 'cs_test_1', '--colour'], 2, /Unknown option '--colour'/],
  ])('%j → exit %i with a clear message', async (args, code, message) => {
    const run = await runCli(args, stack.env());
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it.each([
    ['Postgres', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/fulfillment' }, ['status', 'cs_test_1']],
    ['Redis', { REDIS_URL: 'redis://127.0.0.1:1' }, ['retry-failed']],
  ])('exits 3 when %s is unreachable', async (_name, env, args) => {
    const run = await runCli(args, stack.env(env));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot reach a service/);
  });

  it('retry-failed puts permanently failed jobs back; once the cause is fixed they fulfill', async () => {
    const failed = await permanentlyFailedSession(stack);
    failed.restore();
    const run = await runCli(['retry-failed'], stack.env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ retried: 1, cleared: 0 });
    await waitForStatus(stack, failed.id, 'fulfilled');
  });
});
