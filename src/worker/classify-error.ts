import { UnrecoverableError } from 'bullmq';
import { isPermanentStripeError, stripeErrorSummary } from '../stripe/errors.js';
import { failureReason, type FailureCode } from '../queue/job-failure.js';

/**
 * A failure that retrying cannot fix. An `UnrecoverableError`, so BullMQ fails the job at once, with a
 * stable `code` that its message starts with (see queue/job-failure.ts) for readers on the other side.
 */
export class PermanentFailure extends UnrecoverableError {
  constructor(
    readonly code: FailureCode,
    detail: string,
  ) {
    super(failureReason(code, detail));
  }
}

/**
 * Turns a failure into what BullMQ should do with it: permanent ones (the session does not exist,
 * the key is wrong) fail the job at once as `PermanentFailure`; everything else (network, Stripe
 * 429/5xx, Postgres unavailable) is thrown as is and retried with exponential backoff and jitter.
 */
export function classifyError(err: unknown): Error {
  if (isPermanentStripeError(err)) {
    const code = err.code === 'resource_missing' ? 'session_not_found' : 'stripe_refused';
    return new PermanentFailure(code, stripeErrorSummary(err));
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Whether BullMQ ends the job at once rather than retrying it. */
export function isPermanent(err: unknown): boolean {
  return err instanceof UnrecoverableError;
}
