import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startNpm, waitForOutput, type NpmProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** The processes left in a session (a detached npm run and everything it started). */
function session(p: NpmProcess): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '-s', String(p.child.pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

/**
 * What the README tells operators to run (`npm run start:api`, `npm run start:worker`), stopped the way
 * process managers stop things: SIGTERM to npm's pid (Docker, Kubernetes, a supervisor) and SIGTERM to the
 * whole process group (systemd's default, a terminal's Ctrl-C), with work in flight. Each must drain,
 * exit 0, and leave no process behind.
 */
describe.each([
  ['the pid', (p: NpmProcess) => p.kill('SIGTERM')],
  ['the process group', (p: NpmProcess) => p.killGroup('SIGTERM')],
])('SIGTERM to %s of npm run start:*', (_target, sigterm) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: 0, emulatorLatencyMs: 1500 });
  });
  afterAll(async () => stack.close());

  it('npm run start:worker: active jobs finish, none stalled or failed, npm exits 0 after the worker', async () => {
    const npm = startNpm('start:worker', stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '10' }));
    await waitForOutput(npm, 'worker started');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const s = stack.emulator.store.createSession({ lineItems: items(1) });
      ids.push(s.id);
      void stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    }
    await waitFor(async () => ((await stack.queue.getActiveCount()) >= 5 ? true : undefined), 'jobs to be active');
    sigterm(npm);
    expect(await npm.exited).toBe(0);
    expect(npm.output()).toContain('shut down cleanly');
    expect(npm.output()).not.toContain('deadline passed');
    expect(session(npm)).toEqual([]);
    expect(await stack.queue.getActiveCount()).toBe(0);
    expect(await stack.queue.getFailedCount()).toBe(0);
    const completed = await stack.queue.getJobs(['completed']);
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.every((j) => j.stalledCounter === 0)).toBe(true);
    // The rest waits for the next worker, and every session is fulfilled exactly once.
    const next = startNpm('start:worker', stack.env({ WORKER_CONCURRENCY: '30' }));
    for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
    const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where attempt_count <> 1`;
    expect(row?.n).toBe(0);
    sigterm(next);
    expect(await next.exited).toBe(0);
  });

  it('npm run start:api: a request in flight gets its answer, npm exits 0 after the api', async () => {
    const port = await freePort();
    const npm = startNpm('start:api', stack.env({ LOG_LEVEL: 'info', PORT: String(port), LANDING_WAIT_MS: '2500' }));
    await waitForOutput(npm, 'api listening');
    // Compiled output under plain node, npm's only child (exec): no shell, no tsx in between.
    const tree = session(npm).join('\n');
    expect(tree).toMatch(/node dist\/entry\/api\.js/);
    expect(tree).not.toMatch(/tsx|sh -c/);
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    // No worker: the landing page waits LANDING_WAIT_MS for its run, then answers "still working".
    const pending = fetch(`http://127.0.0.1:${port}/after-checkout?session_id=${s.id}`).then((r) => r.status);
    await waitFor(async () => ((await stack.queue.getWaitingCount()) > 0 ? true : undefined), 'the landing run to be queued');
    sigterm(npm);
    expect(await pending).toBe(200);
    const code = await npm.exited;
    expect(code, npm.output()).toBe(0);
    expect(npm.output()).toContain('shut down cleanly');
    expect(session(npm)).toEqual([]);
  });
});
