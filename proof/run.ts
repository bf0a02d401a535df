import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/harness.js';
import { writeReport, type ProofRun } from './report.js';

/**
 * `npm run proof [-- --quick | --soak 30m] [--only <scenario>]`: creates a private Postgres cluster on a spare port (trust auth,
 * dropped at the end whatever happens), runs the scenarios (proof/proof.test.ts, through vitest so that every
 * spawned process is tracked and killed) and, after a full run, writes docs/reliability.md.
 */
function parseArgs(argv: readonly string[]): { mode: 'full' | 'quick' | 'soak'; soakMs: number } {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--soak');
  if (i < 0) return { mode: quick ? 'quick' : 'full', soakMs: 0 };
  const raw = argv[i + 1] ?? '30m';
  const m = /^(\d+)(s|m|h)$/.exec(raw);
  if (m === null) {
    process.stderr.write(`--soak takes a duration such as 5m or 30m, not "${raw}"\n`);
    process.exit(2);
  }
  return { mode: 'soak', soakMs: Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] };
}

async function main(): Promise<number> {
  const { mode, soakMs } = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const cluster = `proof-${port}`;
  const results = join(mkdtempSync(join(tmpdir(), 'proof-')), 'results.json');
  let dropped = false;
  const drop = () => {
    if (dropped) return;
    dropped = true;
    try {
      execFileSync('pg_dropcluster', ['--stop', '15', cluster], { stdio: 'ignore' });
    } catch {
      // Never created, or already gone.
    }
  };
  process.on('exit', drop);
  execFileSync('pg_createcluster', ['15', cluster, '-p', String(port), '--start-conf', 'manual', '--', '--auth=trust'], { stdio: 'ignore' });
  execFileSync('pg_ctlcluster', ['15', cluster, 'start'], { stdio: 'inherit' });
  const started = Date.now();
  // `--backend postgres`: every scenario with QUEUE_BACKEND=postgres (the queues in the proof's Postgres, no Redis).
  const b = process.argv.indexOf('--backend');
  const backend = b < 0 ? 'redis' : process.argv[b + 1];
  if (backend !== 'redis' && backend !== 'postgres') throw new Error(`--backend must be redis or postgres, got ${String(backend)}`);
  const env = {
    ...process.env,
    TEST_QUEUE_BACKEND: backend,
    TEST_DATABASE_ADMIN_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
    PROOF_PG_CLUSTER: cluster,
    PROOF_MODE: mode,
    PROOF_SOAK_MS: String(soakMs),
    PROOF_RESULTS: results,
  };
  // `--only <scenario>`: that scenario alone (a focused reproduction; no document is written).
  const only = process.argv.indexOf('--only');
  const filter = only < 0 ? [] : ['-t', ` ${process.argv[only + 1] ?? ''}$`];
  const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'proof/vitest.config.ts', ...filter], { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  const run: ProofRun = { mode, totalS: (Date.now() - started) / 1000, passed: code === 0, ...(existsSync(results) ? (JSON.parse(readFileSync(results, 'utf8')) as object) : {}) };
  process.stdout.write(`proof (${mode}) ${code === 0 ? 'passed' : 'FAILED'} in ${run.totalS.toFixed(0)} s\n`);
  if (mode !== 'quick' && only < 0) writeReport(run, `127.0.0.1:${port}`);
  rmSync(results, { force: true });
  drop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`proof failed to run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
