import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A Postgres left running by an earlier process on the same data folder. Postgres outlives its parent: after
 * a SIGKILL of `npm start` (or a crash) the postmaster goes on holding the folder, and a new start on it fails
 * ("lock file postmaster.pid already exists"). Its first line is the postmaster's pid.
 */
export async function runningPostmaster(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  // A stale file whose pid now belongs to another program: not ours to stop (Postgres itself ignores such a file).
  return (await isPostgres(pid)) ? pid : undefined;
}

/** Stops it as `pg_ctl stop -m fast` does (SIGINT: roll back, disconnect, checkpoint), then SIGQUIT if it lingers. */
export async function stopPostmaster(pid: number, graceMs = 15_000): Promise<void> {
  signal(pid, 'SIGINT');
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGQUIT');
      await sleep(500);
      if (alive(pid)) signal(pid, 'SIGKILL');
    }
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (the `postgres` user when we run as root and it does not).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone in the meantime.
  }
}

/** Linux names a process in /proc; elsewhere (macOS) trust the pid file, as pg_ctl does. */
async function isPostgres(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    return false;
  }
}
