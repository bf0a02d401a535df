import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersFirst } from '../../../src/domain/orders-first.js';
import { ordersFirstGate, type OrdersFirstGate } from '../../../src/effects/orders-first-gate.js';
import { EFFECTS_QUEUE } from '../../../src/queue/effects-queue.js';
import { bullPrefix } from '../../../src/queue/contract.js';
import { createFulfillmentQueue, enqueueFulfillment, type FulfillmentQueue } from '../../../src/queue/fulfillment-queue.js';
import { producerConnection, workerConnection } from '../../../src/queue/redis.js';
import { redisBull } from '../../../src/queue/bull.js';
import { PrivateRedis } from '../../helpers/private-redis.js';

import { REDIS_URL } from '../../helpers/stack.js';
const log = pino({ level: 'silent' });

describe('ordersFirst: whether effects are held back', () => {
  it.each([
    [{ elu: 0.95, fulfillmentWaiting: 10, holding: false }, true],
    [{ elu: 0.85, fulfillmentWaiting: 10, holding: false }, false],
    [{ elu: 0.85, fulfillmentWaiting: 10, holding: true }, true],
    [{ elu: 0.65, fulfillmentWaiting: 10, holding: true }, false],
    [{ elu: 1, fulfillmentWaiting: 0, holding: true }, false],
  ])('%o: %s', (inputs, held) => {
    expect(ordersFirst(inputs)).toBe(held);
  });
});

/**
 * The gate of a worker process, on the real fulfillment queue in Redis and a real BullMQ effects worker; the
 * event loop's utilization is the test's to set (a process saturated on purpose would make the test slow).
 */
describe('orders first in a worker process', () => {
  const prefix = `test-orders-first-${randomBytes(4).toString('hex')}`;
  const producer = producerConnection(REDIS_URL);
  const connection = workerConnection(REDIS_URL);
  let queue: FulfillmentQueue;
  let effects: Worker;
  let elu = 0;
  let gate: OrdersFirstGate;
  const heldBack: boolean[] = [];
  beforeAll(async () => {
    queue = createFulfillmentQueue(redisBull(producer, bullPrefix(prefix)), { attempts: 1, backoffMs: 1000 });
    effects = new Worker(EFFECTS_QUEUE, async () => undefined, { connection, prefix: bullPrefix(prefix), concurrency: 50, autorun: false });
    gate = ordersFirstGate({
      worker: effects,
      full: 50,
      fulfillmentWaiting: () => queue.getJobCountByTypes('wait', 'prioritized'),
      log,
      intervalMs: 50,
      trickleMs: 20,
      utilization: () => elu,
      held: (on) => heldBack.push(on),
    });
  });
  afterAll(async () => {
    gate.stop();
    await queue.obliterate({ force: true });
    await Promise.all([queue.close(), effects.close()]);
    await Promise.all([producer.quit(), connection.quit()]);
  });

  it('holds effects back while runs wait and the process is busy, lets one start at a time, and lets go when either ends', async () => {
    for (let i = 0; i < 3; i++) await enqueueFulfillment(queue, { sessionId: `cs_test_orders_first_${i}`, trigger: 'checkout.session.completed' });
    elu = 0.5;
    await gate.look();
    expect([gate.holding(), effects.concurrency]).toEqual([false, 50]);
    await expect(gate.admit()).resolves.toBeUndefined();

    elu = 0.97;
    await gate.look();
    expect([gate.holding(), effects.concurrency]).toEqual([true, 1]);
    const started: number[] = [];
    const admits = [0, 1, 2].map((i) => gate.admit().then(() => started.push(i)));
    await Promise.resolve();
    expect(started).toEqual([]);
    await Promise.all(admits);
    expect(started).toEqual([0, 1, 2]);

    // A dip above the release line keeps holding (no burst); below it, everything waiting goes at once.
    elu = 0.8;
    await gate.look();
    expect(gate.holding()).toBe(true);
    const waitingAtGate = [gate.admit(), gate.admit()];
    elu = 0.6;
    await gate.look();
    expect([gate.holding(), effects.concurrency]).toEqual([false, 50]);
    await Promise.all(waitingAtGate);

    // Busy, but no run waits: effects at full speed.
    await queue.drain();
    elu = 0.99;
    await gate.look();
    expect(gate.holding()).toBe(false);
    // The gauge followed each change, and only the changes.
    expect(heldBack).toEqual([true, false]);
  });

  it('lets go when the fulfillment queue cannot be read (its Redis down), so no effect waits on it', async () => {
    const redis = await PrivateRedis.start();
    const own = producerConnection(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    const ownQueue = createFulfillmentQueue(redisBull(own, bullPrefix(prefix)), { attempts: 1, backoffMs: 1000 });
    const worker = { concurrency: 50 };
    const blind = ordersFirstGate({
      worker,
      full: 50,
      fulfillmentWaiting: () => ownQueue.getJobCountByTypes('wait', 'prioritized'),
      log,
      intervalMs: 50,
      utilization: () => 1,
    });
    try {
      await enqueueFulfillment(ownQueue, { sessionId: 'cs_test_orders_first_blind', trigger: 'checkout.session.completed' });
      await blind.look();
      expect([blind.holding(), worker.concurrency]).toEqual([true, 1]);
      const queued = blind.admit();
      await redis.down();
      await blind.look();
      expect([blind.holding(), worker.concurrency]).toEqual([false, 50]);
      await queued;
    } finally {
      blind.stop();
      own.disconnect();
      await redis.remove();
    }
  });
});
