import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { spawnTracked } from './spawned.js';

/**
 * A real redis-server of the test's own, on a free port, that the test may stop and start again.
 * Spawned tracked: it is killed when its test file ends (test/helpers/cleanup.ts), whatever the test did.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    /** With a data directory, an append-only file keeps the data across a restart, as in production. */
    private readonly dataDir?: string,
  ) {}

  static async start(opts: { persistent?: boolean } = {}): Promise<PrivateRedis> {
    const dataDir = opts.persistent === true ? await mkdtemp(join(tmpdir(), 'private-redis-')) : undefined;
    const r = new PrivateRedis(await freePort(), dataDir);
    await r.up();
    return r;
  }

  /** The running redis-server's pid (undefined before the first start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const persistence = this.dataDir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dataDir];
    this.child = spawnTracked('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => undefined);
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
  }

  async down(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops it for good and removes its data directory. */
  async remove(): Promise<void> {
    await this.down();
    if (this.dataDir !== undefined) await rm(this.dataDir, { recursive: true, force: true });
  }
}
