import type { Logger } from 'pino';
import type postgres from 'postgres';
import { finalSessionIds } from '../db/final-sessions.js';
import { failedSessionIds } from '../db/fulfillment-failures.js';
import { recordRun } from '../db/fulfillment-store.js';
import type { FulfillmentHandler } from '../fulfillment/handler.js';
import type { PageSessions } from '../stripe/session-batcher.js';

export interface PageSessionDeps {
  readonly sql: postgres.Sql;
  readonly handlers: readonly FulfillmentHandler[];
  readonly log: Logger;
  /** Hands a recorded session's outbox effects to the dispatcher's queue; without it the sweeper finds them. */
  readonly enqueueEffects?: (effects: readonly { id: string; kind: string }[]) => Promise<void>;
}

/**
 * The worker's answer to "what about the other paid sessions on this page" (stripe/session-batcher.ts):
 * skip those final in Postgres or held for an operator (as reconciliation does), record the rest through
 * the runs' own transaction, as reconciliation records from its pages (trigger `reconcile`: the state
 * was read from a list, now, after whatever event is still queued for it).
 */
export function pageSessions(deps: PageSessionDeps): PageSessions {
  return {
    async settled(ids) {
      const [final, held] = await Promise.all([finalSessionIds(deps.sql, ids), failedSessionIds(deps.sql, ids)]);
      return new Set([...final, ...held]);
    },
    async record({ session, lineItems, account }) {
      const input = { session, lineItems, target: 'fulfilled' as const, trigger: 'reconcile' as const, account };
      const outcome = await recordRun(deps.sql, input, deps.handlers, { enqueuesAfterCommit: deps.enqueueEffects !== undefined });
      const effects = outcome.newEffects ?? [];
      if (effects.length > 0 && deps.enqueueEffects !== undefined) {
        // Committed already: a failure here only delays them until the dispatcher's sweep.
        await deps.enqueueEffects(effects).catch((err: unknown) => deps.log.warn({ err, sessionId: session.id }, 'effects not enqueued; the sweep will pick them up'));
      }
      deps.log.info({ sessionId: session.id, status: outcome.status, changed: outcome.changed, lineItems: outcome.lineItemCount }, 'recorded from a batch page');
    },
    failed(sessionId, err) {
      deps.log.warn({ sessionId, err }, 'not recorded from a batch page; its own run will record it');
    },
  };
}
