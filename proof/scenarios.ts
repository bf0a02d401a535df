import { Redis } from 'ioredis';
import { runCli } from '../test/helpers/processes.js';
import { sleep } from '../test/helpers/wait.js';
import type { Fleet } from './fleet.js';

/** What one scenario does to the fleet while its sessions flow; it returns what it injected. */
export interface Scenario {
  readonly name: string;
  readonly injects: string;
  /** Sessions in the full run (the quick run takes a fifth). */
  readonly sessions: number;
  /** Runs while the batch is delivered; `busy()` is true until every event is acknowledged. Returns a fault count. */
  readonly inject?: (fleet: Fleet, busy: () => boolean, quick: boolean) => Promise<string[]>;
  /** Runs after every event is acknowledged (and before the audit). */
  readonly after?: (fleet: Fleet) => Promise<string[]>;
  /** Runs before the batch starts. */
  readonly before?: (fleet: Fleet) => Promise<void>;
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
    injects: 'Stripe API: 10 % 5xx throughout, 429 storms (50 % for 2 s), 2 s latency spikes',
    sessions: 100,
    inject: async (fleet, busy, quick) => {
      const knobs = fleet.stack.emulator.gate.knobs;
      knobs.errorRate = 0.1;
      const faults = ['5xx at 10 %'];
      faults.push(
        ...(await repeat(busy, 1500, quick ? 2 : 6, async (i) => {
          if (i % 2 === 0) knobs.rateLimitRate = 0.5;
          else knobs.latencyMs = 2000;
          await sleep(2000);
          knobs.rateLimitRate = 0;
          knobs.latencyMs = 0;
          return i % 2 === 0 ? '429 storm 2 s' : 'latency 2 s spike';
        })),
      );
      knobs.errorRate = 0;
      return faults;
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
    injects: 'SMTP sink deferring (451) and callback receiver failing (500) for 5 s, then back',
    sessions: 60,
    inject: async (fleet) => {
      fleet.smtp.mode = 'defer';
      fleet.callbacks.mode = 'fail';
      const from = fleet.callbacks.received.length;
      await sleep(5000);
      fleet.smtp.mode = 'accept';
      fleet.callbacks.mode = 'ok';
      // Requests answered 500 were attempts, not deliveries: the audit counts only accepted ones per key.
      fleet.callbacks.received.splice(from, fleet.callbacks.received.length - from);
      return ['smtp 451 for 5 s', 'callback 500 for 5 s'];
    },
  },
];
