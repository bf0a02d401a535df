import { hostname } from 'node:os';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import { claimEffects, disableTarget, finishEffects, rescheduleEffect, sweepEffects, type Finish } from './effect-store.js';
import { groupCommit } from '../lib/group-commit.js';
import type { Bull, BullWorker } from '../queue/bull.js';
import { EFFECTS_QUEUE, enqueueEffects, type EffectJobData, type EffectJobResult, type EffectsQueue, type EFFECT_JOB } from '../queue/effects-queue.js';
import { nextDelayMs, type BackoffPolicy } from './backoff.js';
import type { AnyDeliverer } from './deliverers.js';
import type { DeliveryResult, EffectRecord } from './effect.js';
import type { EffectMetrics } from './effect-metrics.js';
import { storableResult } from './storable-result.js';
import { logWorkerError, type LinkState } from '../observability/worker-error-log.js';
import { queueTelemetry, withSpan } from '../observability/tracing.js';
import type { HistoryWriter } from '../db/order-history.js';

/** Most claims (or finishes) one statement carries. */
const BATCH_MAX = 100;

export interface DispatcherDeps {
  readonly sql: postgres.Sql;
  /** Where the queues are (Redis or Postgres). */
  readonly bull: Bull;
  /** The queue's connection, for how worker errors are logged. */
  readonly link: LinkState;
  readonly queue: EffectsQueue;
  readonly deliverers: ReadonlyMap<string, AnyDeliverer>;
  readonly log: Logger;
  readonly metrics?: EffectMetrics;
  readonly backoff: BackoffPolicy;
  /** One attempt ends by then, whatever the deliverer does (EFFECT_TIMEOUT_MS). */
  readonly attemptTimeoutMs: number;
  /** Jobs in flight in this process (a job tries one effect, or a run's new effects side by side). */
  readonly concurrency: number;
  /** How often this process looks for pending rows without a job (default 1 s). */
  readonly sweepIntervalMs?: number;
  /** Resolves when a job may start its attempts (orders first: orders-first-gate.ts); default at once. */
  readonly admit?: () => Promise<void>;
  /** Writes each attempt into the order's story; without it nothing is told. */
  readonly history?: HistoryWriter;
}

export interface EffectDispatcher {
  readonly worker: BullWorker<EffectJobData, EffectJobResult, typeof EFFECT_JOB>;
  /** Starts taking jobs and sweeping. */
  start(): void;
  /** One sweep now (tests, and the timer). Returns how many jobs it re-added. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Delivers committed outbox effects. Chosen design (see README, "Outbox"): a BullMQ queue fed right
 * after commit, so an effect leaves within milliseconds and operators see it in Bull Board, plus a
 * `FOR UPDATE SKIP LOCKED` sweep of Postgres that re-adds a job for any pending row left without one,
 * so losing Redis loses nothing. Each attempt is claimed in Postgres with a lease, which is what makes
 * two jobs for one effect harmless, and bounded by an AbortSignal so a slow receiver holds its attempt (and
 * its job's slot of `concurrency`) for at most `attemptTimeoutMs`. A run's new effects share one job
 * (one BullMQ job per session, not per effect); retries and the sweep's re-adds are one job per effect.
 */
export function createEffectDispatcher(deps: DispatcherDeps): EffectDispatcher {
  const kindsOn = [...deps.deliverers.keys()];
  const leaseMs = deps.attemptTimeoutMs + 5000;
  // Concurrent claims and finishes share statements: 2 statements (and commits) per effect made the
  // outbox's Postgres share of bench effects 6b; most deliveries end within a round trip of each other.
  const claimEffect = groupCommit((ids: readonly string[]) => claimEffects(deps.sql, ids, leaseMs, kindsOn), BATCH_MAX);
  const finishOne = groupCommit(async (finishes: readonly Finish[]) => {
    await finishEffects(deps.sql, finishes);
    return finishes.map(() => undefined);
  }, BATCH_MAX);
  const finishEffect = (id: string, status: Finish['status'], why: Finish['why']) => finishOne({ id, status, why });

  const processJob = async (job: Job<EffectJobData, EffectJobResult, typeof EFFECT_JOB>, token?: string): Promise<EffectJobResult> => {
    // A session's new effects come in one job: each is claimed, tried and settled on its own, at once, so a
    // slow receiver holds its own attempt only; the job ends when every attempt in it has ended.
    const effects = [{ id: job.data.effectId, kind: job.data.kind }, ...(job.data.also ?? [])];
    await deps.admit?.();
    const tried = await Promise.allSettled(effects.map((e) => tryEffect(e.id, e.kind)));
    const failed = tried.find((t) => t.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const results = tried.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
    const early = results.flatMap((r) => ('dueInMs' in r ? [r.dueInMs] : []));
    if (early.length > 0) {
      // Early (Redis and Postgres clocks, or a retry rescheduled meanwhile): this same job waits, so its
      // id, which the sweep would re-add, never ends up completed while an effect still needs it. Effects
      // it settled meanwhile are not claimable when it comes back.
      await job.moveToDelayed(Date.now() + Math.max(...early), token);
      throw new DelayedError();
    }
    return { outcome: results.map((r) => ('outcome' in r ? r.outcome : '')).join(' ') };
  };

  /** One effect's attempt, if it can be claimed now; `dueInMs` when it is pending but not yet due. */
  async function tryEffect(id: string, kind: string): Promise<{ outcome: string } | { dueInMs: number }> {
    const claim = await claimEffect(id);
    if (!claim.claimed && claim.reason === 'not_due') return { dueInMs: claim.dueInMs };
    if (!claim.claimed) {
      if (claim.reason !== 'not_claimable') deps.metrics?.effects.inc({ kind, result: 'skipped' });
      return { outcome: claim.reason };
    }
    const effect = claim.effect;
    const log = deps.log.child({ effectId: effect.id, kind: effect.kind, sessionId: effect.sessionId, attempt: effect.attempts + 1 });
    // The attempt's span: a callback's HTTP client span (and its traceparent) or the email's send sits under it.
    const result = await withSpan(`effect ${effect.kind}`, { attributes: { 'effect.id': effect.id, 'effect.kind': effect.kind, 'effect.attempt': effect.attempts + 1, 'session.id': effect.sessionId } }, async (span) => {
      const r = storableResult(await attempt(deps.deliverers.get(effect.kind), effect, deps.attemptTimeoutMs));
      span?.setAttribute('effect.outcome', r.outcome);
      return r;
    });
    try {
      const next = await settle(effect, result, log);
      await tell(effect, result, next, log);
    } catch (err) {
      // Not settled: without this the row keeps its lease, comes back when it expires and fails the same way,
      // every lease, never backed off nor `dead`. A failure recorded as a retry follows backoff and the horizon.
      log.error({ err, outcome: result.outcome }, 'could not record the attempt; recording it as a failed attempt');
      if (result.outcome === 'delivered') throw err;
      const reason = `the attempt's result (${result.outcome} ${result.code}) could not be recorded`;
      await settle(effect, { outcome: 'retry', code: 'result_unrecorded', reason }, log);
      return { outcome: 'retry' };
    }
    return { outcome: result.outcome };
  }

  /**
   * The attempt in the order's story, batched with concurrent ones (db/order-history.ts): after it settled,
   * so the entry says what comes next. A failed write is logged: the story loses an entry, the effect nothing.
   */
  async function tell(effect: EffectRecord, result: DeliveryResult, next: { dead: boolean; delayMs?: number }, log: Logger): Promise<void> {
    if (deps.history === undefined) return;
    const outcome = result.outcome === 'retry' && next.dead ? 'dead' : result.outcome === 'permanent' ? 'dead' : result.outcome;
    await deps
      .history([
        {
          sessionId: effect.sessionId,
          detail: {
            kind: 'effect',
            effectId: effect.id,
            effectKind: effect.kind,
            target: effect.target,
            attempt: effect.attempts + 1,
            result: outcome,
            ...(result.outcome === 'delivered' ? {} : { code: result.code, reason: result.reason.slice(0, 300) }),
            ...(next.delayMs === undefined ? {} : { nextAttemptAt: new Date(Date.now() + next.delayMs).toISOString() }),
          },
        },
      ])
      .catch((err: unknown) => log.warn({ err }, 'order history not written'));
  }

  /** Settles one attempt; says whether the effect is dead now, or when its next attempt is. */
  async function settle(effect: EffectRecord, result: DeliveryResult, log: Logger): Promise<{ dead: boolean; delayMs?: number }> {
    const count = (r: string) => deps.metrics?.effects.inc({ kind: effect.kind, result: r });
    switch (result.outcome) {
      case 'delivered':
        await finishEffect(effect.id, 'delivered', undefined);
        count('delivered');
        log.info({ detail: result.detail }, 'effect delivered');
        return { dead: false };
      case 'permanent':
        await finishEffect(effect.id, 'dead', { code: result.code, reason: result.reason });
        count('dead');
        // An error: a customer will not get this receipt or callback unless someone acts.
        log.error({ code: result.code, reason: result.reason }, 'effect refused for good: dead');
        return { dead: true };
      case 'disabled':
        await disableTarget(deps.sql, effect.kind, effect.target, result.reason);
        await finishEffect(effect.id, 'dead', { code: result.code, reason: result.reason });
        count('disabled');
        deps.metrics?.targetsDisabled.inc({ kind: effect.kind });
        log.warn({ code: result.code, target: effect.target }, 'receiver asked not to be called again: target disabled');
        return { dead: true };
      case 'retry': {
        const delay = nextDelayMs(deps.backoff, effect.attempts + 1, effect.createdAt, new Date(), result.retryAfterMs);
        if (delay === undefined) {
          await finishEffect(effect.id, 'dead', { code: result.code, reason: `retry horizon reached: ${result.reason}` });
          count('dead');
          log.error({ code: result.code, reason: result.reason }, 'effect failed until its retry horizon: dead');
          return { dead: true };
        }
        await rescheduleEffect(deps.sql, effect.id, delay, { code: result.code, reason: result.reason });
        await enqueueEffects(deps.queue, [{ id: effect.id, kind: effect.kind, attempts: effect.attempts + 1, delayMs: delay }]);
        count('retry');
        log.info({ code: result.code, reason: result.reason, delayMs: delay }, 'effect attempt failed: retrying');
        return { dead: false, delayMs: delay };
      }
    }
  }

  const worker = deps.bull.worker<EffectJobData, EffectJobResult, typeof EFFECT_JOB>(EFFECTS_QUEUE, processJob, {
    name: `${hostname()}-${process.pid}-effects`,
    // The delivery's span joins the trace of the run that committed the effect (its job carries the context).
    ...queueTelemetry(),
    concurrency: deps.concurrency,
    // Longer than any attempt: a job is only "stalled" when its process is gone.
    lockDuration: leaseMs + 5000,
    autorun: false,
  });
  worker.on('error', logWorkerError(deps.log, 'effects', deps.link));
  // A job that throws leaves its effects to the lease and the sweep: someone should know why.
  worker.on('failed', (job, err) => deps.log.error({ err, jobId: job?.id, effectId: job?.data.effectId, kind: job?.data.kind }, 'effect job failed'));

  let sweeping: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    sweeping ??= (async () => {
      try {
        const due = await sweepEffects(deps.sql, 2000);
        // The attempt's own job id: when its job still waits in Redis (a long backlog) the add is a no-op. A run's
        // other effects ride in the first one's job, so for them it is a second job, which the claim makes harmless.
        await enqueueEffects(deps.queue, due.map((d) => ({ id: d.id, kind: d.kind, attempts: d.attempts, delayMs: d.delayMs })));
        if (due.length > 0) deps.log.info({ count: due.length }, 'effects without a job picked up again');
        return due.length;
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  };
  let timer: NodeJS.Timeout | undefined;

  return {
    worker,
    sweep,
    start() {
      void worker.run().catch((err: unknown) => deps.log.error({ err }, 'effects worker stopped running'));
      timer = setInterval(() => {
        sweep().catch((err: unknown) => deps.log.warn({ err }, 'effects sweep failed'));
      }, deps.sweepIntervalMs ?? 1000);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      await sweeping?.catch(() => undefined);
      await worker.close();
      await Promise.all([...deps.deliverers.values()].map((d) => d.close?.()));
    },
  };
}

/** One bounded attempt: the deliverer gets the signal, and we stop waiting when it fires even if it does not. */
async function attempt(deliverer: AnyDeliverer | undefined, effect: EffectRecord, timeoutMs: number): Promise<DeliveryResult> {
  if (deliverer === undefined) return { outcome: 'retry', code: 'kind_off', reason: `no deliverer for kind "${effect.kind}"` };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DeliveryResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('effect attempt timed out'));
      resolve({ outcome: 'retry', code: 'attempt_timeout', reason: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      deliverer.deliver(effect, controller.signal).catch(
        (err: unknown): DeliveryResult => ({ outcome: 'retry', code: 'deliverer_error', reason: err instanceof Error ? err.message : String(err) }),
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
