import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Every process a test starts goes through `spawnTracked`, so none outlives the run: each file's afterAll
 * (test/helpers/cleanup.ts) kills what is still running, and the global teardown (test/global-setup.ts)
 * kills whatever a crashed test file left behind, from the pids recorded here.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory of this run where spawned pids are recorded for the global teardown. */
    spawnDir: string;
  }
}

/** Running children, and whether each leads its own process group (spawned detached). */
const live = new Map<ChildProcess, boolean>();

export function spawnTracked(command: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(command, args, opts);
  const group = opts.detached === true;
  const pid = child.pid;
  if (pid === undefined) return child;
  live.set(child, group);
  // One file per running child, removed when it exits: what remains at the end was left running.
  const record = join(inject('spawnDir'), String(pid));
  writeFileSync(record, JSON.stringify({ pid, group, command: [command, ...args].join(' ') }));
  child.once('exit', () => {
    live.delete(child);
    // A detached group may outlive its leader; the file stays until the group is gone (killAllTracked).
    if (!group) rmSync(record, { force: true });
  });
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends `signal` to the child, or to its whole process group. */
export function signalTracked(child: ChildProcess, signal: NodeJS.Signals, group = false): void {
  if (child.pid === undefined) return;
  try {
    process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILLs every tracked process still running (the whole group of a detached one) and waits for each. */
export async function killAllTracked(): Promise<void> {
  await Promise.all(
    [...live].map(
      ([child, group]) =>
        new Promise<void>((resolve) => {
          // A detached leader may be gone while its group lives on (an orphaned grandchild): kill the group anyway.
          if (group) {
            signalTracked(child, 'SIGKILL', true);
            if (child.pid !== undefined) rmSync(join(inject('spawnDir'), String(child.pid)), { force: true });
          }
          if (!isRunning(child)) return resolve();
          child.once('exit', () => resolve());
          signalTracked(child, 'SIGKILL');
        }),
    ),
  );
}
