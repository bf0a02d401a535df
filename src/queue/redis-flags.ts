import type { Redis } from 'ioredis';
import type { ExpiringFlags } from '../lib/expiring-flags.js';

/** Expiring flags as Redis keys with a TTL (the value is always '1'). */
export function redisFlags(redis: Redis): ExpiringFlags {
  return {
    async set(key, ms) {
      await redis.set(key, '1', 'PX', whole(ms));
    },
    async claim(key, ms) {
      return (await redis.set(key, '1', 'PX', whole(ms), 'NX')) === 'OK';
    },
    async extend(key, ms) {
      // Lengthen only (PEXPIRE … GT, Redis 7): another process's longer lifetime stays.
      await redis.multi().set(key, '1', 'PX', whole(ms), 'NX').pexpire(key, whole(ms), 'GT').exec();
    },
    async any(keys) {
      return keys.length > 0 && (await redis.exists(...keys)) > 0;
    },
    async remainingMs(key) {
      return Math.max(0, await redis.pttl(key));
    },
  };
}

/** PX and PEXPIRE refuse a fraction, and inside MULTI that error would pass silently. */
function whole(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
