import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { freePort } from '../../helpers/ports.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { sample } from '../../helpers/prometheus.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForQueueDrained } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Nothing depends on Redis keeping a job: the outbox rows in Postgres are the record. */
describe('outbox and a Redis that loses everything', () => {
  let redis: PrivateRedis;
  let receiver: CallbackReceiver;
  let stack: Stack;
  let worker: RunningProcess | undefined;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    stack = await startStack({ redisUrl: redis.url, effects: { callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET } });
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await worker?.exited;
    await stack.close();
    await receiver.close();
    await redis.down();
  });

  it('effects committed and queued, then FLUSHALL: every one is delivered once, and the metrics say so', async () => {
    // The in-process dispatcher takes no job: the effects wait in Redis, as with a busy or stopped fleet.
    await Promise.all(stack.dispatchers.map((d) => d.worker.pause()));
    const ids = Array.from({ length: 5 }, () => stack.emulator.store.createSession({ lineItems: items(1) }).id);
    for (const id of ids) await stack.emulator.webhooks.send(stack.emulator.store.complete(id, { paymentStatus: 'paid' }));
    const pending = async () =>
      (await stack.db.sql<{ n: number }[]>`select count(*)::int as n from fulfillment_effects where status = 'pending' and kind = 'callback'`)[0]?.n ?? 0;
    await waitFor(async () => ((await pending()) === 5 ? true : undefined), 'five pending callbacks');
    await waitForQueueDrained(stack);
    const direct = new Redis(redis.url);
    expect(await direct.keys(`*${stack.prefix}*effects*`)).not.toHaveLength(0);
    await direct.flushall();
    expect(await direct.keys('*')).toHaveLength(0);
    direct.disconnect();

    const port = await freePort();
    worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_HTTP_PORT: String(port) }));
    await waitForOutput(worker, 'worker started');
    expect(worker.output()).toContain('effect kind off');
    await waitFor(() => (ids.every((id) => receiver.received.some((r) => r.body.includes(id))) ? true : undefined), 'every callback after the flush', 60_000);
    await sleep(1500);
    for (const id of ids) expect(receiver.received.filter((r) => r.body.includes(id))).toHaveLength(1);
    expect(await pending()).toBe(0);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sample(metrics, 'fulfillment_effects_total', { kind: 'callback', result: 'delivered' })).toBe(5);
    expect(sample(metrics, 'fulfillment_effects_pending', { kind: 'callback' }) ?? 0).toBe(0);
    expect(metrics).toContain('fulfillment_effects_oldest_pending_seconds');
    // Orders first: nothing waits any more, so this worker holds no effect back.
    expect(sample(metrics, 'fulfillment_effects_held_back')).toBe(0);
  }, 120_000);
});
