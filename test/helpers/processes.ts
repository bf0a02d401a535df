import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRunning, signalTracked, spawnTracked } from './spawned.js';
import { sleep } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Stops keeping output (it is still drained): for long runs that log a line per request. */
  quiet(): void;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * The compiled file for a source entry point: `src/entry/api.ts` → `dist/entry/api.js`. Tests run what
 * production runs; test/global-setup.ts builds dist/ when it is older than src/.
 */
export function compiled(entry: string): string {
  return entry.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js');
}

function watch(child: ChildProcess, kill: (signal: NodeJS.Signals) => void): RunningProcess {
  let out = '';
  let keep = true;
  const collect = (d: Buffer) => {
    if (keep) out += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => out,
    quiet: () => {
      keep = false;
    },
    exited,
    kill: (signal = 'SIGTERM') => {
      if (isRunning(child)) kill(signal);
    },
  };
}

/** Starts one of the service's entry points (compiled) as a real `node` process. */
export function startProcess(entry: string, env: Record<string, string>, nodeArgs: readonly string[] = [], args: readonly string[] = []): RunningProcess {
  const child = spawnTracked(process.execPath, [...nodeArgs, compiled(entry), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return watch(child, (signal) => signalTracked(child, signal));
}

export interface NpmProcess extends RunningProcess {
  /** Signals the whole process group, as systemd (KillMode=control-group) or a terminal does. */
  killGroup(signal?: NodeJS.Signals): void;
}

/**
 * `npm run <script>` exactly as an operator types it, as the leader of its own process group (detached),
 * so that a test can signal npm's pid alone (`kill`) or the group (`killGroup`).
 */
export function startNpm(script: string, env: Record<string, string>, args: readonly string[] = []): NpmProcess {
  const npmEnv = { HOME: process.env.HOME ?? '/tmp', ...env };
  const child = spawnTracked('npm', ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])], { cwd: ROOT, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const running = watch(child, (signal) => signalTracked(child, signal));
  return { ...running, killGroup: (signal = 'SIGTERM') => signalTracked(child, signal, true) };
}

/** Waits until the process has printed `text` (e.g. its "worker started" log line). */
export async function waitForOutput(p: RunningProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.output().includes(text)) {
    if (p.child.exitCode !== null) throw new Error(`process exited before printing "${text}":\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${p.output()}`);
    await sleep(25);
  }
}

/** Runs the operator CLI (compiled) to completion: its exit code and what it printed. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked(process.execPath, [compiled('src/entry/cli.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
