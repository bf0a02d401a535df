import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/**
 * QUEUE_BACKEND=postgres through the real compiled entry points: an api and a worker process fulfill a paid
 * session, serve /readyz and Bull Board, while REDIS_URL points at a listening server that records every
 * connection made to it: with the queues in Postgres it must see none.
 */
describe('QUEUE_BACKEND=postgres: the processes open no Redis connection', () => {
  let stack: Stack;
  let recorder: Server;
  let connections = 0;
  const procs: RunningProcess[] = [];
  beforeAll(async () => {
    recorder = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const address = recorder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // The in-process api of the stack runs on Postgres too, with the same REDIS_URL.
    stack = await startStack({ workers: 0, queueBackend: 'postgres', redisUrl: `redis://127.0.0.1:${port}`, admin: { username: 'ops', password: 'secret-password' } });
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await stack.close();
    recorder.close();
  });

  it('a webhook to the api process is fulfilled by the worker process; /readyz, Bull Board; no Redis connection', async () => {
    const port = await freePort();
    const api = startProcess('src/entry/api.ts', stack.env({ LOG_LEVEL: 'info', PORT: String(port) }));
    procs.push(api);
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info' }));
    procs.push(worker);
    await waitForOutput(api, 'api listening');
    await waitForOutput(worker, 'worker started');
    const base = `http://127.0.0.1:${port}`;
    stack.emulator.endpoints.splice(0, stack.emulator.endpoints.length, `${base}/webhook`);

    const session = stack.emulator.store.createSession({ lineItems: items(2) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(session.id, { paymentStatus: 'paid', email: 'ada@example.com', name: 'Ada' }));
    await waitForStatus(stack, session.id, 'fulfilled');

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: unknown }).checks).toEqual({ postgres: 'ok', queue: 'ok', migrations: 'ok' });
    const auth = `Basic ${Buffer.from('ops:secret-password').toString('base64')}`;
    const board = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: auth } });
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(['effects', 'fulfillment', 'reconcile']);
    expect(api.output()).toContain('"queueBackend":"postgres"');
    expect(worker.output()).toContain('"queueBackend":"postgres"');
    expect(connections).toBe(0);
  });
});
