import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, FULFILLMENT_QUEUE } from '../../../src/queue/contract.js';
import { finishedChannel, FinishedSignals, redisAnnouncer, redisSignalSource } from '../../../src/queue/finished-signals.js';
import { producerConnection } from '../../../src/queue/redis.js';
import { waitForJob } from '../../../src/queue/wait-for-job.js';
import { items, waitForQueueDrained } from '../../helpers/sessions.js';
import { REDIS_URL, startStack, type Stack } from '../../helpers/stack.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { waitFor } from '../../helpers/wait.js';

/** A landing page waits on its run: woken by the worker's announcement, polling only for one that was lost. */
describe('finished landing runs, announced', () => {
  describe('by the real worker role', () => {
    let stack: Stack;
    let listener: Redis;
    const heard: string[] = [];
    beforeAll(async () => {
      stack = await startStack({ rateLimitPerMinute: 1000 });
      listener = new Redis(REDIS_URL);
      await listener.subscribe(finishedChannel(bullPrefix(stack.prefix), FULFILLMENT_QUEUE));
      listener.on('message', (_channel: string, jobId: string) => heard.push(jobId));
    });
    afterAll(async () => {
      await listener.quit();
      await stack.close();
    });

    it("the api role subscribes at start (the test's own listener is the other subscriber)", async () => {
      const probe = new Redis(REDIS_URL);
      const [, subscribers] = (await probe.pubsub('NUMSUB', finishedChannel(bullPrefix(stack.prefix), FULFILLMENT_QUEUE))) as [string, number];
      await probe.quit();
      expect(subscribers).toBe(2);
    });

    it('a landing run is announced with its job id; a webhook run is not', async () => {
      const viaWebhook = stack.emulator.store.createSession({ lineItems: items(1) });
      await stack.emulator.webhooks.send(stack.emulator.store.complete(viaWebhook.id, { paymentStatus: 'paid' }));
      const viaLanding = stack.emulator.store.createSession({ lineItems: items(2) });
      stack.emulator.store.complete(viaLanding.id, { paymentStatus: 'paid' });
      expect(await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${viaLanding.id}`)).text()).toContain('Your order is confirmed');
      await waitForQueueDrained(stack);
      const finished = await stack.queue.getJobs(['completed']);
      const landingJob = finished.find((j) => j.data.sessionId === viaLanding.id);
      const webhookJob = finished.find((j) => j.data.sessionId === viaWebhook.id);
      expect(landingJob?.data.trigger).toBe('landing');
      expect(webhookJob).toBeDefined();
      await waitFor(async () => heard.includes(landingJob?.id ?? '') || undefined, 'the landing run announced');
      expect(heard).not.toContain(webhookJob?.id);
    });
  });

  describe('waitForJob', () => {
    const prefix = bullPrefix(`signals-${process.pid}-${Date.now()}`);
    const channel = finishedChannel(prefix, 'q');
    let connection: Redis;
    let queue: Queue;
    let signals: FinishedSignals;
    beforeAll(async () => {
      connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      queue = new Queue('q', { connection, prefix });
      signals = new FinishedSignals(redisSignalSource(new Redis(REDIS_URL, { lazyConnect: true }), channel));
      await signals.subscribe();
    });
    afterAll(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      await signals.close();
      await connection.quit();
    });

    /** Processes one job with a real BullMQ worker; `announce` says whether it then publishes, as the service's worker does. */
    async function finishOne(announce: boolean): Promise<void> {
      const worker = new Worker('q', async () => 'ok', { connection: connection.duplicate(), prefix });
      if (announce) worker.on('completed', (job) => redisAnnouncer(connection, channel)(job.id as string));
      await new Promise<void>((resolve) => worker.once('completed', () => resolve()));
      await worker.close();
    }

    it('wakes on the announcement, long before its next poll (60 s here)', async () => {
      const job = await queue.add('j', {});
      const waiting = waitForJob(queue, job.id as string, 120_000, { signals, fallbackPollMs: 60_000 });
      await waitFor(async () => signals.armed() === 1 || undefined, 'the wait armed');
      await finishOne(true);
      expect(await waiting).toEqual({ state: 'completed' });
      expect(signals.armed()).toBe(0);
    });

    it('finds a job whose announcement never came at its next poll', async () => {
      const job = await queue.add('j', {});
      const waiting = waitForJob(queue, job.id as string, 120_000, { signals, fallbackPollMs: 50 });
      await finishOne(false);
      expect(await waiting).toEqual({ state: 'completed' });
      expect(signals.armed()).toBe(0);
    });

    it('polls as before when the announcements are not subscribed', async () => {
      const unsubscribed = new FinishedSignals(redisSignalSource(new Redis(REDIS_URL, { lazyConnect: true }), channel));
      expect(unsubscribed.arm('any')).toBeUndefined();
      const job = await queue.add('j', {});
      const waiting = waitForJob(queue, job.id as string, 120_000, { signals: unsubscribed, fallbackPollMs: 60_000 });
      await finishOne(false);
      expect(await waiting).toEqual({ state: 'completed' });
      await unsubscribed.close();
    });

    it('a wait that times out leaves nothing armed', async () => {
      const job = await queue.add('never-taken', {});
      expect(await waitForJob(queue, job.id as string, 150, { signals, fallbackPollMs: 60_000 })).toEqual({ state: 'timeout' });
      expect(signals.armed()).toBe(0);
      await job.remove();
    });
  });

  it("the api's subscriber, after Redis went away and came back, is subscribed again; while away, waits poll", async () => {
    const redis = await PrivateRedis.start();
    const channel = finishedChannel('{restart}', 'q');
    // The connection the api role subscribes on (roles/api-process.ts): its producer connection's duplicate.
    const producer = producerConnection(redis.url);
    producer.on('error', () => undefined);
    const signals = new FinishedSignals(redisSignalSource(producer.duplicate({ lazyConnect: true }), channel));
    const publisher = new Redis(redis.url, { retryStrategy: () => 50 });
    publisher.on('error', () => undefined);
    try {
      await signals.subscribe();
      await redis.down();
      // Each probe that still finds the subscriber ready arms a wait: disarm it, or it would be counted below.
      await waitFor(async () => {
        const probe = signals.arm('any');
        if (probe === undefined) return true;
        probe.disarm();
        return undefined;
      }, 'the signals to notice Redis is gone');
      await redis.up();
      const armed = await waitFor(async () => signals.arm('job-1'), 'the subscriber to be connected again');
      // Announced until heard: the resubscription may still be on its way when the connection is ready.
      let heard = false;
      const woken = armed.wait(60_000).then(() => (heard = true));
      await waitFor(async () => {
        await publisher.publish(channel, 'job-1');
        return heard || undefined;
      }, 'the announcement to wake the wait');
      await woken;
      armed.disarm();
      expect(signals.armed()).toBe(0);
    } finally {
      publisher.disconnect();
      await signals.close();
      producer.disconnect();
      await redis.remove();
    }
  });
});
