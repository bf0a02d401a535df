import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { hasUnsafeDisplayCharacter } from '../../src/domain/display-text.js';
import { compiled } from '../helpers/processes.js';
import { spawnTracked } from '../helpers/spawned.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { params, printCounts, runs, tally, TIMEOUT_MS } from './budget.js';

/** Tokens an operator (or a script gone wrong) could type: commands, options, ids, durations, junk. */
const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fulfill', 'status', 'reconcile', 'retry-failed', 'help', 'FULFILL', 'fulfil', '') },
  { weight: 3, arbitrary: fc.constantFrom('--since', '--wait', '--account', '-h', '--help', '--', '-', '--since=', '--wait=0s', '--account=', '--colour', '-x', '--help=yes', '--no-help', '-hh') },
  { weight: 3, arbitrary: fc.oneof(fc.stringMatching(/^cs_(test|live)_[A-Za-z0-9]{1,40}$/), fc.stringMatching(/^acct_[A-Za-z0-9]{1,20}$/), fc.constantFrom('cs_test_', 'pi_123', 'acct_', 'cs_test_a/b')) },
  { weight: 2, arbitrary: fc.oneof(fc.stringMatching(/^\d{1,7}[smhd]$/), fc.constantFrom('0s', '1e3s', '-5m', '10M', '24 h', '999999d', 'yesterday')) },
  // Any text but NUL, which no operating system can pass in an argument.
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\u0000')) },
  // Trojan Source: an argument pasted with bidi or terminal controls (echoed back in the error).
  { weight: 1, arbitrary: fc.constantFrom('refund\u202Etxt.exe', '\u001b[2J\u0007', 'cs_test_\u2066x\u2069', '--since=\u009b1m') },
);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the compiled CLI as `npm run cli` does; a run still going after `timeoutMs` is killed and reported as hung. */
function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | 'hung'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked(process.execPath, [compiled('src/entry/cli.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? 'hung' : (code ?? -1), stdout, stderr });
    });
  });
}

/** A stack trace, a Node internal error or a Node warning in what the operator sees is a defect, whatever the input. */
const STACK_TRACE = /\n\s+at .+[:(]|node:internal|\(node:\d+\)|TypeError|ReferenceError|RangeError|ERR_[A-Z_]+/;

/**
 * The operator CLI as a real process on generated argv. Redis points at a closed port so that no
 * command can wait on a worker: every run ends in seconds with exit 0 (done), 1 (not found or failed),
 * 2 (bad arguments) or 3 (a service unreachable), and a message, never a stack trace.
 */
describe('fuzz: CLI arguments', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(async () => {
    printCounts('cli');
    await stack.close();
  });

  it('exits 0-3 with a clear message for every generated argv, never a stack trace', async () => {
    // Four processes at a time: most of a run is waiting (for a refused connection).
    const batch = fc.array(fc.array(token, { maxLength: 5 }), { minLength: 4, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(batch, async (argvs) => {
        tally('cli: generated argv (real process)', argvs.length);
        const results = await Promise.all(argvs.map((argv) => runCli(argv, stack.env({ REDIS_URL: 'redis://127.0.0.1:1' }))));
        results.forEach((run, i) => {
          const where = `argv ${JSON.stringify(argvs[i])} → exit ${run.code}\n${run.stderr}`;
          expect([0, 1, 2, 3], where).toContain(run.code);
          expect(run.stderr, where).not.toMatch(STACK_TRACE);
          if (run.code !== 0) expect(run.stderr.trim().length, where).toBeGreaterThan(0);
          if (run.code === 2) expect(run.stderr, where).toMatch(/usage:|must be|expected|unknown|unexpected|Unknown option|argument/i);
          // Arguments are echoed back without the bidi and control characters they may carry (display-text.ts).
          expect(hasUnsafeDisplayCharacter(run.stdout + run.stderr, { lines: true }), where).toBe(false);
        });
      }),
      params(runs(75, 1)),
    );
  }, TIMEOUT_MS * 3);

  // Found by hand while reading what the generator cannot reach with Redis down: a live Redis and no worker.
  it('refuses a --wait longer than a Node timer can hold (30d once gave up at once, after a TimeoutOverflowWarning)', async () => {
    const run = await runCli(['reconcile', '--wait', '30d'], stack.env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--wait must be a duration .*at most 24d/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  }, TIMEOUT_MS * 3);
});
