import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { sleep } from '../test/harness.js';
import { audit } from './audit.js';
import type { Fleet } from './fleet.js';
import { postmasterPid, rssMiB, treePssMiB } from './memory.js';
import { runBatch, type Expected } from './workload.js';

export interface SoakResult {
  readonly durationS: number;
  /** When it ended (ISO 8601), and the machine's load average (1, 5, 15 min) then: the machine is shared. */
  readonly finishedAt?: string;
  readonly loadAverage?: number[];
  readonly sessions: number;
  /** The rate asked for, and the sessions per second created over the whole run (the batches are on a clock). */
  readonly ratePerS: number;
  readonly achievedPerS?: number;
  readonly workersReplaced: number;
  /**
   * Memory in MiB of the long-lived processes after warm-up and at the end, and the growth. The 10 % bound holds
   * for the service's own processes; `unbounded` says why it does not for another (Redis keeps the retained jobs).
   */
  readonly rss: { process: string; warmMiB: number; endMiB: number; growthPct: number; unbounded?: string }[];
  readonly redisKeys: { warm: number; end: number; bound: number };
  readonly pgConnectionsMax: number;
  readonly pgConnectionsBound: number;
  readonly lost: number;
  readonly duplicateRows: number;
  readonly problems: string[];
}

const RATE = 5;
const POOL = 4;

/** Median of the last three samples: one GC-timed sample must not decide. */
function settled(samples: number[]): number {
  const last = samples.slice(-3).sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)] ?? 0;
}

/**
 * A fixed webhook rate for `durationMs` with workers churning (all but the first, which stays to be measured with
 * the api): the memory of the api, that worker, redis-server and the Postgres cluster sampled every 5 s, Redis keys
 * and Postgres connections counted, then the usual audit.
 */
export async function runSoak(fleet: Fleet, durationMs: number): Promise<SoakResult> {
  const start = Date.now();
  const warmAt = start + durationMs * 0.2;
  const anchor = fleet.workers[0];
  const [pg] = await fleet.stack.db.sql<{ data_directory: string }[]>`show data_directory`;
  const watched: { name: string; mib: () => number; unbounded?: string }[] = [
    { name: 'api', mib: () => rssMiB(fleet.api.child.pid) },
    { name: 'worker (not churned)', mib: () => rssMiB(anchor?.child.pid) },
    { name: 'redis-server', mib: () => rssMiB(fleet.redis.pid), unbounded: 'holds the retained jobs: bounded by the retention, as keys (below)' },
    {
      name: 'postgres (postmaster and backends, Pss)',
      mib: () => treePssMiB(postmasterPid(pg?.data_directory ?? '')),
      unbounded: 'its shared buffers fill as the tables grow (bounded by shared_buffers); connections bounded below',
    },
  ];
  const samples = watched.map(() => [] as number[]);
  const warm: number[] = [];
  const expected: Expected[] = [];
  const deliveries: Promise<void>[] = [];
  const redis = new Redis(fleet.redis.url);
  let redisWarm = 0;
  let pgMax = 0;
  let replaced = 0;
  let tick = 0;
  let churn: Promise<void> | undefined;
  // Batches on a fixed clock (tick n at start + n s), whatever the churn and the sampling take: a fixed rate.
  while (Date.now() - start < durationMs) {
    const batch = runBatch(fleet, RATE, 1000);
    expected.push(...batch.expected);
    deliveries.push(batch.delivered);
    if (++tick % 15 === 0 && churn === undefined && fleet.workers.length > 1) {
      const victim = fleet.workers[1 + Math.floor(Math.random() * (fleet.workers.length - 1))];
      churn = (async () => {
        if (victim !== undefined) await fleet.stopWorker(victim, 'SIGKILL');
        await fleet.startWorker();
        replaced++;
      })().finally(() => (churn = undefined));
    }
    if (tick % 5 === 0) {
      watched.forEach((w, i) => samples[i]?.push(w.mib()));
      const [c] = await fleet.stack.db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database()`;
      pgMax = Math.max(pgMax, c?.n ?? 0);
      if (warm.length === 0 && Date.now() >= warmAt) {
        for (const s of samples) warm.push(settled(s));
        redisWarm = await redis.dbsize();
      }
    }
    await sleep(Math.max(0, start + tick * 1000 - Date.now()));
  }
  // The fixed-rate phase: what the duration and the achieved rate describe (the audit's wait comes after).
  const durationS = (Date.now() - start) / 1000;
  await churn;
  await Promise.all(deliveries);
  let result = await audit(fleet, expected);
  for (let i = 0; i < 120 && result.problems.length > 0; i++) {
    await sleep(1000);
    result = await audit(fleet, expected);
  }
  const redisEnd = await redis.dbsize();
  redis.disconnect();
  // Retention: up to 50,000 completed fulfillment jobs and 1,000 effect jobs are kept by design; each job is one key.
  const bound = Math.min(expected.length * 2, 50_000) + 1_000 + 200;
  const rss = watched.map((w, i) => {
    const warmMiB = warm[i] ?? 0;
    const endMiB = settled(samples[i] ?? []);
    return { process: w.name, warmMiB, endMiB, growthPct: warmMiB === 0 ? 0 : ((endMiB - warmMiB) / warmMiB) * 100, ...(w.unbounded === undefined ? {} : { unbounded: w.unbounded }) };
  });
  const pgBound = (fleet.workers.length + 1) * POOL * 2 + 10 + 5;
  const problems = [...result.problems];
  for (const r of rss) if (r.unbounded === undefined && r.growthPct > 10) problems.push(`${r.process} RSS grew ${r.growthPct.toFixed(1)} % after warm-up`);
  if (redisEnd > bound) problems.push(`${redisEnd} Redis keys, retention allows ${bound}`);
  if (pgMax > pgBound) problems.push(`${pgMax} Postgres connections, bound ${pgBound}`);
  return {
    durationS,
    finishedAt: new Date().toISOString(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    sessions: expected.length,
    ratePerS: RATE,
    achievedPerS: Math.round((expected.length / durationS) * 100) / 100,
    workersReplaced: replaced,
    rss,
    redisKeys: { warm: redisWarm, end: redisEnd, bound },
    pgConnectionsMax: pgMax,
    pgConnectionsBound: pgBound,
    lost: result.lost,
    duplicateRows: result.duplicateRows,
    problems,
  };
}
