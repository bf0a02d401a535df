import type { Redis } from 'ioredis';

/** The channel on which workers announce that a landing run finished; the message is its job id. */
export function finishedChannel(bullPrefix: string, queueName: string): string {
  return `${bullPrefix}:${queueName}:landing-finished`;
}

/** Worker side: one announcement per landing run that finished (completed, or failed). Nothing waits on its answer. */
export type AnnounceFinished = (jobId: string) => void;

/**
 * Api side: where the announcements arrive from (Redis pub/sub, or Postgres LISTEN/NOTIFY). `live` is false
 * while it is not connected: announcements may then be missed, and waiting pages poll.
 */
export interface SignalSource {
  listen(onJobId: (jobId: string) => void): Promise<void>;
  live(): boolean;
  close(): Promise<void>;
}

/** Redis: one PUBLISH per landing run that finished. */
export function redisAnnouncer(redis: Redis, channel: string): AnnounceFinished {
  return (jobId) => void redis.publish(channel, jobId).catch(() => undefined);
}

/** Redis: a subscribed connection of its own (it can do nothing else), which reconnects and resubscribes by itself. */
export function redisSignalSource(subscriber: Redis, channel: string): SignalSource {
  let subscribed = false;
  // An outage is reported by the api's main connection.
  subscriber.on('error', () => undefined);
  return {
    async listen(onJobId) {
      subscriber.on('message', (ch: string, jobId: string) => {
        if (ch === channel) onJobId(jobId);
      });
      if (subscriber.status === 'wait') await subscriber.connect();
      await subscriber.subscribe(channel);
      subscribed = true;
    },
    live: () => subscribed && subscriber.status === 'ready',
    close: () => subscriber.quit().then(() => undefined, () => subscriber.disconnect()),
  };
}

/** One armed wait: resolves on the job's announcement, or after `ms`. */
export interface ArmedWait {
  wait(ms: number): Promise<void>;
  disarm(): void;
}

/**
 * Api side: wakes a page that waits for its landing run as soon as a worker announces the run finished
 * (one subscription per api process), rather than at its next poll. Why: polling every 10-20 ms made the
 * page answer ~10 ms after the run on average, and made every waiting customer a queue read each 20 ms (in
 * a flash sale, thousands a second); with the signal, the page polls only every FALLBACK_POLL_MS, for an
 * announcement that was lost (a reconnect, a worker of an older version).
 *
 * A wait is armed before the job's state is read, so an announcement between that read and the wait is
 * not missed. While the source is not live, `arm` returns undefined and the caller polls as before.
 */
export class FinishedSignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly source: SignalSource) {}

  /** Subscribes; the caller decides what a failure means (the api logs it and its pages poll). */
  async subscribe(): Promise<void> {
    await this.source.listen((jobId) => {
      const set = this.waiters.get(jobId);
      if (set === undefined) return;
      this.waiters.delete(jobId);
      for (const wake of set) wake();
    });
  }

  arm(jobId: string): ArmedWait | undefined {
    if (!this.source.live()) return undefined;
    let wake!: () => void;
    const announced = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(jobId) ?? new Set();
    set.add(wake);
    this.waiters.set(jobId, set);
    const disarm = () => {
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
    };
    return {
      disarm,
      wait: async (ms) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([announced, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
        clearTimeout(timer);
      },
    };
  }

  /** Waits being held (for the tests: a wait that ended but stayed armed would show here). */
  armed(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
    await this.source.close();
  }
}
