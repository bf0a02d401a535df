import type { Redis } from 'ioredis';
import { bullPrefix } from './contract.js';

/**
 * Where reconciliation remembers, per account, when its last complete pass over refunds and disputes began
 * (Unix seconds). Kept in Redis beside the queues: losing it (a FLUSHALL) costs one pass over the lookback
 * again, never a missed refund, so it needs none of Postgres' durability.
 */
export interface AfterSaleCursor {
  lastPass(account: string | null): Promise<number | undefined>;
  rememberPass(account: string | null, startedAt: number): Promise<void>;
}

export function afterSaleCursor(redis: Redis, queuePrefix: string): AfterSaleCursor {
  const key = (account: string | null) => `${bullPrefix(queuePrefix)}:after-sale-reconciled:${account ?? 'platform'}`;
  return {
    async lastPass(account) {
      const raw = await redis.get(key(account));
      const n = raw === null ? Number.NaN : Number(raw);
      return Number.isSafeInteger(n) ? n : undefined;
    },
    async rememberPass(account, startedAt) {
      await redis.set(key(account), String(startedAt));
    },
  };
}
