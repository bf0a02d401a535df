import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident memory of one process in MiB (VmRSS), 0 when it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Proportional memory (Pss) of a process and its children in MiB: the memory a group of processes that share
 * pages (Postgres's postmaster and backends share their buffers) really uses, without counting a shared page once
 * per process as a sum of RSS would.
 */
export function treePssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let kb = 0;
  for (const p of [pid, ...children(pid)]) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      kb += m === null ? 0 : Number(m[1]);
    } catch {
      // Ended meanwhile (a backend whose connection closed).
    }
  }
  return kb / 1024;
}

function children(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((p) => p > 0);
  } catch {
    return [];
  }
}

/** The postmaster's pid, from the first line of postmaster.pid in the cluster's data directory. */
export function postmasterPid(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
