import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

/**
 * How hard to fuzz. `npm run fuzz` sets FUZZ=full: the counts (≥100,000 webhook requests).
 * `npm test` runs the same properties with small counts, so every property is exercised on each run.
 * FUZZ_SEED replays a run printed by a failure (fast-check also prints the `path` of the shrunk case).
 */
export const FULL = process.env.FUZZ === 'full';

export function runs(full: number, quick: number): number {
  return FULL ? full : quick;
}

/** Per-test timeout: the full counts take minutes. */
export const TIMEOUT_MS = FULL ? 3_600_000 : 60_000;

/** Seed for every property of one run; printed on failure together with the counter-example. */
export function params<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns, endOnFailure: false, ...(seed === undefined ? {} : { seed }) };
}

const counts = new Map<string, number>();

/** Counts what a property really ran (a property's predicate calls `tally` once per input). */
export function tally(property: string, n = 1): void {
  counts.set(property, (counts.get(property) ?? 0) + n);
}

export function printCounts(file: string): void {
  const rows = [...counts].map(([name, n]) => `| ${name} | ${n.toLocaleString('en')} |`);
  process.stdout.write(`\nfuzz counts (${file}, ${FULL ? 'full' : 'quick'})\n| property | inputs |\n| --- | --- |\n${rows.join('\n')}\n`);
  counts.clear();
}

// A heap figure is only comparable after a full collection; vitest's forks do not pass --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface MemorySample {
  readonly heapUsed: number;
  readonly rss: number;
}

export function sampleMemory(): MemorySample {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

export function describeGrowth(before: MemorySample, after: MemorySample): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return `heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}, rss ${mib(before.rss)} → ${mib(after.rss)}`;
}
