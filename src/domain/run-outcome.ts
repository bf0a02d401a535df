import type { SessionStatus } from './session-status.js';

/** What one fulfillment run recorded. */
export interface RunOutcome {
  readonly sessionId: string;
  readonly status: SessionStatus;
  /** Whether this run changed the stored status (false when another run got there first). */
  readonly changed: boolean;
  readonly lineItemCount: number;
  /** Outbox rows this run committed that await delivery: the caller hands them to the dispatcher. */
  readonly newEffects?: readonly { readonly id: string; readonly kind: string }[];
  /** For the run's log line (redacted unless LOG_PII=true); never part of the job's result. */
  readonly customerEmail?: string | null;
}
