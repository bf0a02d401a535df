import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config/index.js';
import { redisBull } from '../queue/bull.js';
import { FULFILLMENT_QUEUE, bullPrefix } from '../queue/contract.js';
import { finishedChannel, redisAnnouncer, redisSignalSource } from '../queue/finished-signals.js';
import { redisFlags } from '../queue/redis-flags.js';
import { producerConnection, workerConnection } from '../queue/redis.js';
import { SpacedPermits } from '../stripe/spaced-permits.js';
import type { BackendOptions, QueueBackend } from './queue-backend.js';
import { redisStep } from './start-failure.js';

/** QUEUE_BACKEND=redis: one Redis connection per process (BullMQ duplicates it for blocking reads). */
export function redisQueueBackend(config: Config, opts: BackendOptions): QueueBackend {
  const redis = opts.role === 'producer' ? producerConnection(config.redisUrl) : workerConnection(config.redisUrl);
  // Before start, redisStep reports an unreachable Redis as one line; after, an outage is a warning.
  redis.on('error', (err) => {
    if (opts.started()) opts.log.warn({ err: err.message }, 'redis connection error');
  });
  const prefix = bullPrefix(config.queue.prefix);
  const channel = finishedChannel(prefix, FULFILLMENT_QUEUE);
  const flags = redisFlags(redis);
  return {
    kind: 'redis',
    bull: redisBull(redis, prefix),
    link: redis,
    budget: { permits: new SpacedPermits(redis), flags },
    limits: { flags, limiter: (s) => new RateLimiterRedis({ storeClient: redis, ...s }) },
    announceFinished: redisAnnouncer(redis, channel),
    // Its own connection: a subscribed connection can do nothing else.
    signalSource: () => redisSignalSource(redis.duplicate({ lazyConnect: true }), channel),
    readiness: {
      name: 'redis',
      ping: async () => {
        await redis.ping();
      },
    },
    migratesBullmq: false,
    check: () => redisStep(redis, config.redisUrl),
    close: () => redis.quit().then(() => undefined, () => redis.disconnect()),
  };
}
