import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Once per `vitest run`: build dist/ when it is older than src/ (tests that start entry points run the
 * compiled output, as production does), and afterwards kill every process a test file left running.
 */
export default function setup(project: TestProject): () => void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed: the tests run the compiled dist/');
  const spawnDir = mkdtempSync(join(tmpdir(), 'fulfillment-test-pids-'));
  project.provide('spawnDir', spawnDir);
  return () => {
    for (const file of readdirSync(spawnDir)) {
      const { pid, group } = JSON.parse(readFileSync(join(spawnDir, file), 'utf8')) as { pid: number; group: boolean };
      // Only processes still in the group, or the pid, that this run started (pids get reused).
      for (const target of group ? groupMembers(pid) : [pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(spawnDir, { recursive: true, force: true });
  };
}

/** The pids in session `sid`: a detached test process (node's setsid) and everything it started. */
function groupMembers(sid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '-s', String(sid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((p) => p > 0);
  } catch {
    return [];
  }
}
