import { execFileSync } from 'node:child_process';
import { startCallbackReceiver, type CallbackReceiver, startFaultPort, type FaultPort, freePort, PrivateRedis, QUEUE_BACKEND, startProcess, waitForOutput, type RunningProcess, SMTP_PASS, SMTP_USER, startSmtpReceiver, type SmtpReceiver, startStack, type Stack } from '../test/harness.js';

export const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * The service as production runs it, on infrastructure the proof owns: a private Redis with AOF, the private
 * Postgres cluster that proof/run.ts created (PROOF_PG_CLUSTER), the emulator, one api and several worker
 * processes from dist/, an SMTP sink and a callback receiver, each reached through a fault port (so that it can be
 * down, or reset or hang connections, and come back on the same port). Every fault the scenarios inject goes
 * through here.
 */
export class Fleet {
  api!: RunningProcess;
  readonly workers: RunningProcess[] = [];
  /** Every process started, for RSS sampling and the final stop. */
  readonly started: RunningProcess[] = [];
  private apiPort = 0;

  private constructor(
    readonly stack: Stack,
    readonly redis: PrivateRedis,
    readonly smtp: SmtpReceiver,
    readonly callbacks: CallbackReceiver,
    /** The ports the workers deliver to: in front of the SMTP sink and of the callback receiver. */
    readonly receiverPorts: { readonly smtp: FaultPort; readonly callback: FaultPort },
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async start(workers: number, extraEnv: Record<string, string> = {}): Promise<Fleet> {
    // Started on either backend (the Redis scenarios need it); with QUEUE_BACKEND=postgres no process is pointed at it.
    const redis = await PrivateRedis.start({ persistent: true });
    const smtp = await startSmtpReceiver();
    const callbacks = await startCallbackReceiver([CALLBACK_SECRET]);
    const callbackUrl = new URL(callbacks.url);
    const receiverPorts = { smtp: await startFaultPort(smtp.port), callback: await startFaultPort(Number(callbackUrl.port)) };
    callbackUrl.port = String(receiverPorts.callback.port);
    const stack = await startStack({
      workers: 0,
      ...(QUEUE_BACKEND === 'redis' ? { redisUrl: redis.url } : {}),
      attempts: 20,
      backoffMs: 200,
      effects: { smtpUrl: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${receiverPorts.smtp.port}`, callbackUrls: [callbackUrl.href], callbackSecret: CALLBACK_SECRET, backoffMs: 200 },
    });
    const fleet = new Fleet(stack, redis, smtp, callbacks, receiverPorts, extraEnv);
    fleet.apiPort = await freePort();
    await fleet.startApi();
    // Stripe delivers to the api process only (the stack's in-process api stays for queue counts).
    stack.emulator.endpoints.length = 0;
    stack.emulator.endpoints.push(`http://127.0.0.1:${fleet.apiPort}/webhook`);
    await Promise.all(Array.from({ length: workers }, () => fleet.startWorker()));
    return fleet;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return this.stack.env({ LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '4', WORKER_LOCK_DURATION_MS: '3000', ...this.extraEnv, ...extra });
  }

  async startApi(): Promise<void> {
    this.api = startProcess('src/entry/api.ts', this.env({ LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: String(this.apiPort) }));
    this.api.quiet();
    this.started.push(this.api);
    await waitForListening(`http://127.0.0.1:${this.apiPort}/healthz`, this.api);
  }

  async startWorker(): Promise<RunningProcess> {
    const w = startProcess('src/entry/worker.ts', this.env({ LOG_LEVEL: 'info' }));
    this.workers.push(w);
    this.started.push(w);
    await waitForOutput(w, 'worker started', 60_000);
    w.quiet();
    return w;
  }

  /** Kills a worker with `signal` and waits for it to end; it is no longer part of the fleet. */
  async stopWorker(w: RunningProcess, signal: NodeJS.Signals): Promise<void> {
    this.workers.splice(this.workers.indexOf(w), 1);
    w.kill(signal);
    await w.exited;
  }

  async restartApi(signal: NodeJS.Signals): Promise<void> {
    this.api.kill(signal);
    await this.api.exited;
    await this.startApi();
  }

  /** `pg_ctlcluster restart` of the proof's own cluster (never the shared one). */
  restartPostgres(): void {
    const cluster = process.env.PROOF_PG_CLUSTER;
    if (cluster === undefined) throw new Error('PROOF_PG_CLUSTER is not set: run the proof through npm run proof');
    execFileSync('pg_ctlcluster', ['15', cluster, 'restart', '-m', 'immediate'], { stdio: 'ignore' });
  }

  async stop(): Promise<void> {
    for (const p of this.started) p.kill('SIGKILL');
    await Promise.all(this.started.map((p) => p.exited));
    await this.stack.close().catch(() => undefined);
    await this.receiverPorts.smtp.close();
    await this.receiverPorts.callback.close();
    await this.callbacks.close();
    await this.smtp.close();
    await this.redis.remove();
  }
}

async function waitForListening(url: string, p: RunningProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`api exited before listening:\n${p.output()}`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`api not listening at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
