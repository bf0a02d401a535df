import type { Logger } from 'pino';
import { finalSessionIds } from '../db/final-sessions.js';
import { failedSessionIds } from '../db/fulfillment-failures.js';
import type { PageSessions } from '../stripe/session-batcher.js';
import { recordAndHandOff, type RecordDeps } from './record-and-hand-off.js';

export interface PageSessionDeps extends RecordDeps {
  readonly log: Logger;
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
      const outcome = await recordAndHandOff(deps, input, deps.log);
      deps.log.info({ sessionId: session.id, status: outcome.status, changed: outcome.changed, lineItems: outcome.lineItemCount }, 'recorded from a batch page');
    },
    failed(sessionId, err) {
      deps.log.warn({ sessionId, err }, 'not recorded from a batch page; its own run will record it');
    },
  };
}
