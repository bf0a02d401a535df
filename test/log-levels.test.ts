import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from './helpers/private-redis.js';
import { startProcess, waitForOutput, type RunningProcess } from './helpers/processes.js';
import { items, waitForStatus } from './helpers/sessions.js';
import { startStack, type Stack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message?: string; readonly code?: string };
}

/** An error-level line means a human must look: an ordinary Redis restart is not one. */
describe('log levels', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let worker: RunningProcess;
  beforeAll(async () => {
    // Persistent, as production Redis is (AOF): a restart loses no job, so nothing but the outage is seen.
    redis = await PrivateRedis.start({ persistent: true });
    stack = await startStack({ redisUrl: redis.url, workers: 0 });
    worker = startProcess('src/worker/main.ts', stack.env({ LOG_LEVEL: 'info' }));
    await waitForOutput(worker, 'worker started');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await redis.up().catch(() => undefined);
    await stack.close();
    await redis.remove();
  });

  const lines = (): LogLine[] =>
    worker
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);

  async function paid(): Promise<string> {
    const s = stack.emulator.store.createSession({ lineItems: items(2) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    return s.id;
  }

  it('a Redis restart under a working worker logs warnings, not one error, and the worker carries on', async () => {
    await waitForStatus(stack, await paid(), 'fulfilled');
    const before = lines().length;
    await redis.down();
    // Long enough for the worker's blocking reads, lock renewals and reconnect attempts to fail a few times.
    await sleep(3000);
    await redis.up();
    await waitForStatus(stack, await paid(), 'fulfilled', 30_000);
    const during = lines().slice(before);
    expect(during.filter((l) => l.level >= 40).length).toBeGreaterThan(0);
    expect(during.filter((l) => l.level >= 50)).toEqual([]);
  });
});
