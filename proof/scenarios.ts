import { Redis } from 'ioredis';
import { type PortMode, runCli, sleep } from '../test/harness.js';
import { afterSaleFaults } from './after-sale-scenario.js';
import type { Fleet } from './fleet.js';
import type { Expected } from './workload.js';

/** What one scenario does to the fleet while its sessions flow; it returns what it injected. */
export interface Scenario {
  readonly name: string;
  readonly injects: string;
  /** Sessions in the full run (the quick run takes a fifth). */
  readonly sessions: number;
  /** The queue backends it applies to (default both): a Redis fault means nothing when the queue is in Postgres. */
  readonly backends?: readonly ('redis' | 'postgres')[];
  /** Runs while the batch is delivered; `busy()` is true until every event is acknowledged. Returns a fault count. */
  readonly inject?: (fleet: Fleet, busy: () => boolean, quick: boolean) => Promise<string[]>;
  /** Runs after every event is acknowledged (and before the audit); `expected` is the batch's sessions. */
  readonly after?: (fleet: Fleet, expected: readonly Expected[]) => Promise<string[]>;
  /** Runs before the batch starts. */
  readonly before?: (fleet: Fleet) => Promise<void>;
  /** After the audit: what the injected faults did, in a few words, for the report (e.g. requests reset). */
  readonly observe?: (fleet: Fleet) => string;
}

/** Repeats `fault` every `everyMs` while the batch is in flight, at most `max` times. */
async function repeat(busy: () => boolean, everyMs: number, max: number, fault: (i: number) => Promise<string>): Promise<string[]> {
  const done: string[] = [];
  // The first fault always happens, even if every event was acknowledged meanwhile (work is still in flight).
  for (let i = 0; i < max && (i === 0 || busy()); i++) {
    await sleep(everyMs);
    done.push(await fault(i));
  }
  return done;
}

async function randomWorker(fleet: Fleet) {
  return fleet.workers[Math.floor(Math.random() * fleet.workers.length)];
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'duplicates', injects: 'each event delivered 1–3 times, shuffled, 8 concurrent senders, non-2xx retried', sessions: 200 },
  {
    name: 'worker-kill',
    injects: 'a worker SIGKILLed every 2 s and replaced; the api SIGKILLed and restarted once',
    sessions: 150,
    inject: async (fleet, busy, quick) => {
      const faults = await repeat(busy, 2000, quick ? 3 : 10, async (i) => {
        const w = await randomWorker(fleet);
        if (w !== undefined) await fleet.stopWorker(w, 'SIGKILL');
        await fleet.startWorker();
        if (i === 1) {
          await fleet.restartApi('SIGKILL');
          return 'worker SIGKILL + api SIGKILL';
        }
        return 'worker SIGKILL';
      });
      return faults;
    },
  },
  {
    name: 'redis-restart',
    injects: 'Redis (AOF, appendfsync always) killed and restarted mid-run',
    backends: ['redis'],
    sessions: 100,
    inject: async (fleet, busy) =>
      repeat(busy, 1500, 1, async () => {
        await fleet.redis.down();
        await sleep(1000);
        await fleet.redis.up();
        return 'redis SIGKILL + restart';
      }),
  },
  {
    name: 'redis-flushall',
    injects: 'workers stopped, events acknowledged, Redis FLUSHALL, workers back, one reconciliation (CLI)',
    backends: ['redis'],
    sessions: 40,
    before: async (fleet) => {
      for (const w of [...fleet.workers]) await fleet.stopWorker(w, 'SIGTERM');
    },
    after: async (fleet) => {
      const r = new Redis(fleet.redis.url);
      await r.flushall();
      r.disconnect();
      await Promise.all([fleet.startWorker(), fleet.startWorker(), fleet.startWorker()]);
      const cli = await runCli(['reconcile', '--since', '1h', '--wait', '3m'], fleet.env());
      if (cli.code !== 0) throw new Error(`reconcile failed: ${cli.stderr}${cli.stdout}`);
      return ['FLUSHALL after acknowledgement', 'reconcile'];
    },
  },
  {
    name: 'queue-data-lost',
    injects: "workers stopped, events acknowledged, BullMQ's tables emptied (QUEUE_BACKEND=postgres), workers back, one reconciliation (CLI)",
    sessions: 40,
    backends: ['postgres'],
    before: async (fleet) => {
      for (const w of [...fleet.workers]) await fleet.stopWorker(w, 'SIGTERM');
    },
    after: async (fleet) => {
      const sql = fleet.stack.db.sql;
      const tables = await sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'bullmq' and tablename not like '%migration%'`;
      await sql.unsafe(`truncate ${tables.map((t) => `bullmq."${t.name}"`).join(', ')}`);
      await Promise.all([fleet.startWorker(), fleet.startWorker(), fleet.startWorker()]);
      const cli = await runCli(['reconcile', '--since', '1h', '--wait', '3m'], fleet.env());
      if (cli.code !== 0) throw new Error(`reconcile failed: ${cli.stderr}${cli.stdout}`);
      return ["BullMQ's tables emptied after acknowledgement", 'reconcile'];
    },
  },
  {
    name: 'postgres-restart',
    injects: 'Postgres restarted (pg_ctlcluster restart -m immediate) mid-run',
    sessions: 100,
    inject: async (fleet, busy) =>
      repeat(busy, 1500, 1, async () => {
        fleet.restartPostgres();
        return 'postgres restart';
      }),
  },
  {
    name: 'stripe-faults',
    injects: 'Stripe API: 10 % 5xx and 5 % connection resets throughout, 429 storms (50 % for 2 s), 2 s latency spikes, reset storms (50 % of connections reset for 2 s)',
    sessions: 100,
    before: async (fleet) => fleet.stack.emulator.gate.resetStats(),
    inject: async (fleet, busy, quick) => {
      const knobs = fleet.stack.emulator.gate.knobs;
      Object.assign(knobs, { errorRate: 0.1, resetRate: 0.05 });
      // The reset storm first: the first storm always runs, and the workers' batched reads make few requests.
      const storm = (i: number): [string, Partial<typeof knobs>] =>
        i % 3 === 0 ? ['reset storm 2 s', { resetRate: 0.5 }] : i % 3 === 1 ? ['429 storm 2 s', { rateLimitRate: 0.5 }] : ['latency 2 s spike', { latencyMs: 2000 }];
      const faults = ['5xx at 10 %', 'connection resets at 5 %'];
      faults.push(
        ...(await repeat(busy, 1500, quick ? 3 : 6, async (i) => {
          const [name, set] = storm(i);
          Object.assign(knobs, set);
          await sleep(2000);
          // A reset storm lasts (at most 8 s more) until a request has met a reset, so that every run injects one.
          for (let t = 0; t < 32 && i === 0 && fleet.stack.emulator.gate.stats.resets === 0; t++) await sleep(250);
          Object.assign(knobs, { rateLimitRate: 0, latencyMs: 0, resetRate: 0.05 });
          return name;
        })),
      );
      Object.assign(knobs, { errorRate: 0, resetRate: 0 });
      return faults;
    },
    observe: (fleet) => {
      const { requests, serverErrors, rateLimited, resets } = fleet.stack.emulator.gate.stats;
      return `of ${requests} Stripe requests: ${serverErrors} answered 5xx, ${rateLimited} 429, ${resets} connections reset`;
    },
  },
  {
    name: 'rolling-deploy',
    injects: 'every worker then the api replaced by SIGTERM, one by one, under load',
    sessions: 120,
    inject: async (fleet) => {
      const faults: string[] = [];
      for (const w of [...fleet.workers]) {
        await fleet.startWorker();
        await fleet.stopWorker(w, 'SIGTERM');
        faults.push('worker SIGTERM');
      }
      await fleet.restartApi('SIGTERM');
      faults.push('api SIGTERM');
      return faults;
    },
  },
  {
    name: 'receivers-down',
    injects:
      'SMTP sink and callback receiver answering errors (451, 500) for 4 s; then down, their ports closed (connections refused) for 5 s; then accepting connections and resetting them for 3 s; then accepting and never answering for 8 s (an attempt held there ends at the deliverer\'s own timeout, 10 s for a callback, 30 s for an email); then back on the same ports',
    sessions: 60,
    inject: async (fleet) => {
      const { smtp, callback } = fleet.receiverPorts;
      const both = (mode: PortMode) => Promise.all([smtp.set(mode), callback.set(mode)]);
      const faults: string[] = [];
      fleet.smtp.mode = 'defer';
      fleet.callbacks.mode = 'fail';
      const from = fleet.callbacks.received.length;
      await sleep(4000);
      fleet.smtp.mode = 'accept';
      fleet.callbacks.mode = 'ok';
      // Requests answered 500 were attempts, not deliveries: the audit counts only accepted ones per key.
      const failed = fleet.callbacks.received.splice(from, fleet.callbacks.received.length - from).length;
      faults.push('smtp 451 for 4 s', `callback 500 for 4 s (${failed} attempts)`);
      await both('closed');
      await sleep(5000);
      faults.push('smtp and callback ports closed for 5 s');
      // Reset and hang last until a delivery attempt on each port has met them (effects retry with backoff).
      for (const [mode, ms] of [['reset', 3000], ['hang', 8000]] as const) {
        await both(mode);
        const until = Date.now() + 20_000;
        await sleep(ms);
        while ((smtp.seen[mode] === 0 || callback.seen[mode] === 0) && Date.now() < until) await sleep(250);
        faults.push(`${mode} (smtp ${smtp.seen[mode]} connections, callback ${callback.seen[mode]})`);
      }
      await both('open');
      return faults;
    },
    observe: (fleet) => {
      const { smtp, callback } = fleet.receiverPorts;
      return `connections reset: smtp ${smtp.seen.reset}, callback ${callback.seen.reset}; held unanswered: smtp ${smtp.seen.hang}, callback ${callback.seen.hang}`;
    },
  },
  {
    name: 'after-sale',
    injects:
      'refunds (by line item, full, failing after succeeding) and disputes (lost, won) on the fulfilled orders, their events 1–3 times and shuffled, with 10 % Stripe 5xx and a worker SIGKILLed; a sixth of them with every event dropped, found by one reconciliation (CLI)',
    sessions: 100,
    after: afterSaleFaults,
  },
];
