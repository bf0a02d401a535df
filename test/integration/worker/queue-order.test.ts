import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, FULFILLMENT_QUEUE, type FulfillJobData } from '../../../src/queue/contract.js';
import { createFulfillmentQueue, enqueueFulfillment, enqueueLanding, type FulfillmentQueue } from '../../../src/queue/fulfillment-queue.js';
import { producerConnection } from '../../../src/queue/redis.js';
import { redisBull } from '../../../src/queue/bull.js';
import { REDIS_URL } from '../../helpers/stack.js';

const session = (n: number) => `cs_test_order${String(n).padStart(4, '0')}`;
const webhook = (n: number): FulfillJobData => ({ sessionId: session(n), trigger: 'checkout.session.completed', eventId: `evt_order${n}` });

/**
 * The order BullMQ serves the runs in, with the placements of enqueueFulfillment / enqueueLanding: a customer
 * on the success page first, webhook runs first in first out, reconciliation last. Taken by a BullMQ worker
 * with concurrency 1 on the real Redis, so its own moveToActive decides; no Stripe, no Postgres needed.
 */
describe('queue order of the run classes', () => {
  const prefix = `test-order-${randomBytes(6).toString('hex')}`;
  let producer: Redis;
  let queue: FulfillmentQueue;
  beforeAll(() => {
    producer = producerConnection(REDIS_URL);
    queue = createFulfillmentQueue(redisBull(producer, bullPrefix(prefix)), { attempts: 1, backoffMs: 1000 });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    producer.disconnect();
  });

  it('landing runs overtake the webhook backlog, webhook runs keep their order, reconciliation comes after both', async () => {
    await enqueueFulfillment(queue, webhook(1));
    await enqueueFulfillment(queue, { sessionId: session(90), trigger: 'reconcile', runId: 'r1' });
    await enqueueFulfillment(queue, webhook(2));
    await enqueueLanding(queue, session(50));
    await enqueueFulfillment(queue, webhook(3));
    await enqueueFulfillment(queue, { sessionId: session(91), trigger: 'reconcile', runId: 'r1' });
    await enqueueFulfillment(queue, webhook(4));
    // A reload of the success page while its run waits: deduplicated, it keeps one place.
    await enqueueLanding(queue, session(50));
    // A customer arriving behind everything still goes first.
    await enqueueLanding(queue, session(51));
    expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 6, prioritized: 2 });

    const served: string[] = [];
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker<FulfillJobData>(
      FULFILLMENT_QUEUE,
      async (job) => {
        served.push(`${job.data.trigger === 'landing' || job.data.trigger === 'reconcile' ? job.data.trigger : 'webhook'} ${job.data.sessionId.slice(-2)}`);
      },
      { connection, prefix: bullPrefix(prefix), concurrency: 1 },
    );
    try {
      await new Promise<void>((resolve) => worker.on('drained', () => resolve()));
    } finally {
      await worker.close();
      connection.disconnect();
    }
    expect(served).toEqual(['landing 51', 'landing 50', 'webhook 01', 'webhook 02', 'webhook 03', 'webhook 04', 'reconcile 90', 'reconcile 91']);
  });
});
