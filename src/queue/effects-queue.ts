import type { Bull, BullQueue } from './bull.js';
import { reportErrorsOnConnection } from './redis.js';
import { queueTelemetry } from '../observability/tracing.js';

/**
 * The effects queue: each job says "try outbox effect N now" (and, for a session's new effects, "and these
 * others too"). It is a transport, not the record:
 * Postgres holds every effect's state, and the dispatcher's sweeper re-adds a job for any pending row
 * whose job was lost (Redis flushed, process killed), so nothing depends on Redis keeping it.
 */
export const EFFECTS_QUEUE = 'effects';
export const EFFECT_JOB = 'deliver-effect';

export interface EffectJobData {
  readonly effectId: string;
  readonly kind: string;
  /**
   * The other effects one run committed with this one, tried by the same job: one job per session instead
   * of one per effect. Each still has its own claim, attempt, backoff and row; a worker that predates this
   * field tries only `effectId`, and the sweep gives the others a job of their own.
   */
  readonly also?: readonly { readonly id: string; readonly kind: string }[];
}

export interface EffectJobResult {
  readonly outcome: string;
}

export type EffectsQueue = BullQueue<EffectJobData, EffectJobResult, typeof EFFECT_JOB>;

export function createEffectsQueue(bull: Bull): EffectsQueue {
  const queue = bull.queue<EffectJobData, EffectJobResult, typeof EFFECT_JOB>(EFFECTS_QUEUE, {
    ...queueTelemetry(),
    defaultJobOptions: {
      // A thrown job (Postgres unreachable) is retried a few times here; after that the sweeper takes over,
      // re-adding the same job id, so a failed job is not kept to block it.
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      // Kept a while for Bull Board; the outbox table is the lasting record. A completed job never blocks
      // a needed re-add: every attempt that ran has moved its row on (new attempt count, or finished).
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: true,
    },
  });
  return reportErrorsOnConnection(queue);
}

/**
 * One job per attempt: `<id>.<attempts made>` (no `:`), so the job added after commit and a later
 * re-add for the same attempt collapse, while the next attempt always gets a job of its own.
 */
function effectJobId(effectId: string, attemptsMade: number): string {
  return `${effectId}.${attemptsMade}`;
}

/**
 * One job for the effects one run committed (first attempts, due now), with the first one's job id, so the
 * sweep's re-add for that effect collapses with it as before.
 */
export async function enqueueTogether(queue: EffectsQueue, effects: readonly { readonly id: string; readonly kind: string }[]): Promise<void> {
  const [first, ...also] = effects;
  if (first === undefined) return;
  await queue.add(EFFECT_JOB, { effectId: first.id, kind: first.kind, ...(also.length === 0 ? {} : { also: also.map((e) => ({ id: e.id, kind: e.kind })) }) }, { jobId: effectJobId(first.id, 0) });
}

export async function enqueueEffects(
  queue: EffectsQueue,
  effects: readonly { readonly id: string; readonly kind: string; readonly attempts?: number; readonly delayMs?: number; readonly jobId?: string }[],
): Promise<void> {
  if (effects.length === 0) return;
  await queue.addBulk(
    effects.map((e) => ({
      name: EFFECT_JOB,
      data: { effectId: e.id, kind: e.kind },
      opts: { jobId: e.jobId ?? effectJobId(e.id, e.attempts ?? 0), ...(e.delayMs === undefined || e.delayMs <= 0 ? {} : { delay: e.delayMs }) },
    })),
  );
}
