import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { sleep } from '../test/helpers/wait.js';
import { audit } from './audit.js';
import type { Fleet } from './fleet.js';
import { runBatch, type Expected } from './workload.js';

export interface SoakResult {
  readonly durationS: number;
  readonly sessions: number;
  readonly ratePerS: number;
  readonly workersReplaced: number;
  /** RSS in MiB of the long-lived processes after warm-up and at the end, and the growth. */
  readonly rss: { process: string; warmMiB: number; endMiB: number; growthPct: number }[];
  readonly redisKeys: { warm: number; end: number; bound: number };
  readonly pgConnectionsMax: number;
  readonly pgConnectionsBound: number;
  readonly lost: number;
  readonly duplicateRows: number;
  readonly problems: string[];
}

const RATE = 5;
const POOL = 4;

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Median of the last three samples: one GC-timed sample must not decide. */
function settled(samples: number[]): number {
  const last = samples.slice(-3).sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)] ?? 0;
}

/**
 * A fixed webhook rate for `durationMs` with workers churning (all but the first, which stays to be measured with
 * the api): RSS sampled every 5 s, Redis keys and Postgres connections counted, then the usual audit.
 */
export async function runSoak(fleet: Fleet, durationMs: number): Promise<SoakResult> {
  const start = Date.now();
  const warmAt = start + durationMs * 0.2;
  const anchor = fleet.workers[0];
  const watched = [{ name: 'api', pid: () => fleet.api.child.pid }, { name: 'worker (not churned)', pid: () => anchor?.child.pid }];
  const samples = watched.map(() => [] as number[]);
  const warm: number[] = [];
  const expected: Expected[] = [];
  const deliveries: Promise<void>[] = [];
  const redis = new Redis(fleet.redis.url);
  let redisWarm = 0;
  let pgMax = 0;
  let replaced = 0;
  let tick = 0;
  while (Date.now() - start < durationMs) {
    const batch = runBatch(fleet, RATE, 1000);
    expected.push(...batch.expected);
    deliveries.push(batch.delivered);
    if (++tick % 15 === 0 && fleet.workers.length > 1) {
      const victim = fleet.workers[1 + Math.floor(Math.random() * (fleet.workers.length - 1))];
      if (victim !== undefined) await fleet.stopWorker(victim, 'SIGKILL');
      await fleet.startWorker();
      replaced++;
    }
    if (tick % 5 === 0) {
      watched.forEach((w, i) => samples[i]?.push(rssMiB(w.pid())));
      const [c] = await fleet.stack.db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database()`;
      pgMax = Math.max(pgMax, c?.n ?? 0);
      if (warm.length === 0 && Date.now() >= warmAt) {
        for (const s of samples) warm.push(settled(s));
        redisWarm = await redis.dbsize();
      }
    }
    await sleep(1000);
  }
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
    return { process: w.name, warmMiB, endMiB, growthPct: warmMiB === 0 ? 0 : ((endMiB - warmMiB) / warmMiB) * 100 };
  });
  const pgBound = (fleet.workers.length + 1) * POOL * 2 + 10 + 5;
  const problems = [...result.problems];
  for (const r of rss) if (r.growthPct > 10) problems.push(`${r.process} RSS grew ${r.growthPct.toFixed(1)} % after warm-up`);
  if (redisEnd > bound) problems.push(`${redisEnd} Redis keys, retention allows ${bound}`);
  if (pgMax > pgBound) problems.push(`${pgMax} Postgres connections, bound ${pgBound}`);
  return {
    durationS: (Date.now() - start) / 1000,
    sessions: expected.length,
    ratePerS: RATE,
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
