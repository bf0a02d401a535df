import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Starts one of the service's entry points as a real process, as `npm run start:*` would. */
export function startProcess(entry: string, env: Record<string, string>, nodeArgs: readonly string[] = [], args: readonly string[] = []): RunningProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Waits until the process has printed `text` (e.g. its "worker started" log line). */
export async function waitForOutput(p: RunningProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.output().includes(text)) {
    if (p.child.exitCode !== null) throw new Error(`process exited before printing "${text}":\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the operator CLI to completion: its exit code and what it printed. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
