import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logWorkerError } from '../../../src/observability/worker-error-log.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

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
    worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info' }));
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

  it("BullMQ's lock error is a warning in the minute after Redis came back, and an error otherwise", async () => {
    // A real "Missing lock" (code -2): finishing a waiting job with a token that holds no lock, the
    // answer a worker gets when Redis finished its job but died before saying so.
    const own = await PrivateRedis.start();
    const queue = new Queue('lock-probe', { connection: { url: own.url } });
    const job = await queue.add('probe', {});
    const lockError = await job.moveToCompleted('done', 'no-such-token', false).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect((lockError as { code?: unknown } | undefined)?.code).toBe(-2);
    await queue.close();

    const logged: LogLine[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => logged.push(JSON.parse(l) as LogLine) });
    const connection = new Redis(own.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    connection.on('error', () => undefined);
    try {
      await waitFor(() => connection.status === 'ready' || undefined, 'the connection');
      const onError = logWorkerError(log, 'probe', connection);
      onError(lockError as Error);
      await own.down();
      await waitFor(() => connection.status !== 'ready' || undefined, 'the connection to drop');
      await own.up();
      await waitFor(() => connection.status === 'ready' || undefined, 'the connection to come back');
      onError(lockError as Error);
      expect(logged.map((l) => l.level)).toEqual([50, 40]);
    } finally {
      connection.disconnect();
      await own.remove();
    }
  });
});
