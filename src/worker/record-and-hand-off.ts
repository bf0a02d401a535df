import type { Logger } from 'pino';
import type postgres from 'postgres';
import type { RunOutcome } from '../domain/run-outcome.js';
import { recordRun, type RunInput } from '../run/record-run.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import type { AfterSaleSettings } from '../run/apply-after-sale.js';

export type EnqueueEffects = (effects: readonly { id: string; kind: string }[]) => Promise<void>;

export interface RecordDeps {
  readonly sql: postgres.Sql;
  readonly handlers: readonly FulfillmentHandler[];
  /** Hands committed outbox effects to the dispatcher's queue; without it the sweeper finds them. */
  readonly enqueueEffects?: EnqueueEffects | undefined;
  /** `DISPUTE_POLICY` and the announcements' receivers, for a session fulfilled after its refund or dispute was recorded. */
  readonly afterSale?: AfterSaleSettings | undefined;
}

/**
 * Records a run in its one transaction (run/record-run.ts), then hands the effects it committed to the
 * dispatcher's queue: the same step for a fulfillment run, reconciliation and a batch page's other sessions.
 */
export async function recordAndHandOff(deps: RecordDeps, input: RunInput, log: Logger): Promise<RunOutcome> {
  const outcome = await recordRun(deps.sql, input, deps.handlers, { enqueuesAfterCommit: deps.enqueueEffects !== undefined, ...(deps.afterSale === undefined ? {} : { afterSale: deps.afterSale }) });
  const effects = outcome.newEffects ?? [];
  if (effects.length > 0 && deps.enqueueEffects !== undefined) {
    // Committed already: a failure here only delays them until the dispatcher's sweep.
    await deps.enqueueEffects(effects).catch((err: unknown) => log.warn({ err, sessionId: input.session.id, effects: effects.length }, 'effects not enqueued; the sweep will pick them up'));
  }
  return outcome;
}
