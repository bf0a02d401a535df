import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { NO_REDIS, testPostgres, testRedis } from './helpers/test-services.js';

/**
 * Once per `vitest run`: find Postgres and Redis (test/helpers/test-services.ts: the variables, the default
 * addresses, else an embedded Postgres and a private redis-server) and hand them to the test files as
 * TEST_DATABASE_ADMIN_URL and TEST_REDIS_URL (the workers inherit this environment); build dist/ when it is
 * older than src/ (tests that start entry points run the compiled output, as production does); afterwards
 * kill every process a test file left running and stop what was started here.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await testRedis(process.env);
  if (redis === undefined) {
    // One line, and no test: a run without Redis would fail in every Redis suite, far from the reason.
    process.stderr.write(`${NO_REDIS}\n`);
    process.exit(1);
  }
  const postgres = await testPostgres(process.env);
  process.env.TEST_DATABASE_ADMIN_URL = postgres.url;
  process.env.TEST_REDIS_URL = redis.url;
  process.stderr.write(`tests use Postgres: ${postgres.from}; Redis: ${redis.from}\n`);
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed: the tests run the compiled dist/');
  const spawnDir = mkdtempSync(join(tmpdir(), 'fulfillment-test-pids-'));
  project.provide('spawnDir', spawnDir);
  return async () => {
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
    await postgres.stop();
    await redis.stop();
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
