import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../../src/emulator/webhook-sender.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { WEBHOOK_SECRET, startStack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Deploys must not lose work: SIGTERM under load, for the api and for a worker. */
describe('graceful shutdown', () => {
  const procs: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  });

  it('api: requests already accepted complete with their normal answer; exit within 10 s', async () => {
    const stack = await startStack({ workers: 0 });
    try {
      const port = await freePort();
      const api = startProcess('src/entry/api.ts', stack.env({ LOG_LEVEL: 'info', PORT: String(port) }));
      procs.push(api);
      await waitForOutput(api, 'api listening');

      const agent = new Agent({ keepAlive: true, maxSockets: 50 });
      const answers: (number | string)[] = [];
      let stop = false;
      const send = (i: number) =>
        new Promise<void>((resolve) => {
          const s = stack.emulator.store.createSession({ lineItems: items(1) });
          const body = JSON.stringify({ ...stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }), id: `evt_shutdown${i}` });
          const req = request(
            { agent, host: '127.0.0.1', port, path: '/webhook', method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, [WEBHOOK_SECRET]) } },
            (res) => {
              res.resume();
              res.on('end', () => {
                answers.push(res.statusCode ?? 0);
                resolve();
              });
            },
          );
          // A request the closing server never accepted fails to connect or is reset before any answer.
          req.on('error', (err: NodeJS.ErrnoException) => {
            answers.push(err.code ?? 'error');
            resolve();
          });
          req.end(body);
        });
      let n = 0;
      const loops = Array.from({ length: 50 }, async () => {
        while (!stop) await send(n++);
      });
      await waitFor(() => (answers.length > 500 ? true : undefined), 'load to build up');
      const t = Date.now();
      api.kill('SIGTERM');
      const code = await api.exited;
      const tookMs = Date.now() - t;
      stop = true;
      await Promise.all(loops);
      agent.destroy();

      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(10_000);
      expect(api.output()).toContain('shut down cleanly');
      const ok = answers.filter((a) => a === 200).length;
      // Every answer was a 200 or a connection the closing server never took; never a 5xx.
      expect([...new Set(answers)].filter((a) => a !== 200 && a !== "ECONNREFUSED" && a !== "ECONNRESET" && a !== "EPIPE")).toEqual([]);
      expect(answers.every((a) => a === 200 || a === 'ECONNREFUSED' || a === 'ECONNRESET' || a === 'EPIPE')).toBe(true);
      // Every 200 is a job in Redis: nothing acknowledged was dropped.
      expect(await stack.queue.count()).toBe(ok);
    } finally {
      await stack.close();
    }
  });

  it('worker: active jobs finish, none is left stalled or failed, exit within WORKER_SHUTDOWN_TIMEOUT_MS', async () => {
    const stack = await startStack({ workers: 0, emulatorLatencyMs: 400 });
    try {
      const env = stack.env({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '10', WORKER_SHUTDOWN_TIMEOUT_MS: '8000' });
      const worker = startProcess('src/entry/worker.ts', env);
      procs.push(worker);
      await waitForOutput(worker, 'worker started');
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const s = stack.emulator.store.createSession({ lineItems: items(2) });
        ids.push(s.id);
        void stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
      }
      await waitFor(async () => ((await stack.queue.getActiveCount()) >= 5 ? true : undefined), 'jobs to be active');
      const t = Date.now();
      worker.kill('SIGTERM');
      const code = await worker.exited;
      expect(code).toBe(0);
      expect(Date.now() - t).toBeLessThan(8000);
      expect(worker.output()).toContain('shut down cleanly');
      expect(await stack.queue.getActiveCount()).toBe(0);
      expect(await stack.queue.getFailedCount()).toBe(0);
      const completed = await stack.queue.getJobs(['completed']);
      expect(completed.length).toBeGreaterThan(0);
      expect(completed.every((j) => j.stalledCounter === 0)).toBe(true);

      // The rest waits in Redis for the next worker; every session ends fulfilled exactly once.
      const next = startProcess('src/entry/worker.ts', env);
      procs.push(next);
      for (const id of ids) await waitForStatus(stack, id, 'fulfilled', 30_000);
      const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where attempt_count <> 1`;
      expect(row?.n).toBe(0);
      next.kill('SIGTERM');
      await next.exited;
    } finally {
      await stack.close();
    }
  });
});
