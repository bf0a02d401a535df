import { execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './ports.js';
import { spawnTracked } from './spawned.js';
import { waitFor } from './wait.js';

/** The newest Postgres server binaries of the machine (/usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const majors = readdirSync('/usr/lib/postgresql').map(Number).filter((n) => n > 0).sort((a, b) => b - a);
  if (majors[0] === undefined) throw new Error('no Postgres server binaries in /usr/lib/postgresql');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

/**
 * A real Postgres server of the test's own, on a free port, in a temporary data folder, that the test may
 * stop and start again (QUEUE_BACKEND=postgres: a Postgres outage is also a queue outage). Postgres refuses
 * to run as root: as root it runs as the machine's `postgres` user (setpriv execs, so the tracked pid is the
 * postmaster's own and the test file's cleanup kills it).
 */
export class PrivatePostgres {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dataDir = mkdtempSync(join(tmpdir(), 'private-postgres-'));
    const asRoot = userInfo().uid === 0;
    if (asRoot) chownSync(dataDir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    execFileSync(...PrivatePostgres.command(asRoot, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']), { stdio: 'ignore' });
    const p = new PrivatePostgres(await freePort(), dataDir);
    await p.up();
    return p;
  }

  private static command(asRoot: boolean, bin: string, args: string[]): [string, string[]] {
    const path = join(binDir(), bin);
    return asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', path, ...args]] : [path, args];
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async up(): Promise<void> {
    const asRoot = userInfo().uid === 0;
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=60'];
    this.child = spawnTracked(...PrivatePostgres.command(asRoot, 'postgres', args), { stdio: 'ignore' });
    const probe = postgres(this.adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 1 });
    try {
      await waitFor(async () => ((await probe`select 1`.catch(() => undefined)) === undefined ? undefined : true), 'private Postgres to answer', 20_000);
    } finally {
      await probe.end({ timeout: 1 });
    }
  }

  /** A fast shutdown (SIGINT): every connection is cut at once, as a crash or a restart does to clients. */
  async down(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGINT');
    await exited;
  }

  async remove(): Promise<void> {
    await this.down();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
