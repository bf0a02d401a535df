import { UnrecoverableError } from 'bullmq';
import postgres from 'postgres';
import { HandlerInputError } from '../run/run-handlers.js';
import { storableText } from '../domain/storable.js';
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
 * SQLSTATE classes 22 (data exception: a value Postgres cannot store) and 23 (integrity constraint
 * violation) fail the same way for the same input every time
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html). Except a unique violation: two runs
 * racing to insert may meet one, and the retry then finds the other's row.
 */
function isDeterministicDataError(err: unknown): err is postgres.PostgresError {
  if (!(err instanceof postgres.PostgresError)) return false;
  return (err.code.startsWith('22') || err.code.startsWith('23')) && err.code !== '23505';
}

/**
 * Turns a failure into what BullMQ should do with it: permanent ones (the session does not exist,
 * the key is wrong, Postgres refuses the session's data, a handler asks for what cannot be stored) fail the job at once as `PermanentFailure`;
 * everything else (network, Stripe 429/5xx, Postgres unavailable) is thrown as is and retried with
 * exponential backoff and jitter.
 */
export function classifyError(err: unknown): Error {
  if (isPermanentStripeError(err)) {
    const code = err.code === 'resource_missing' ? 'session_not_found' : 'stripe_refused';
    return new PermanentFailure(code, stripeErrorSummary(err));
  }
  if (err instanceof HandlerInputError) {
    // A handler's own mistake fails every run of this session the same way: held, not retried.
    return new PermanentFailure('poison_data', storableText(`${err.code}: ${err.message}`, 500));
  }
  if (isDeterministicDataError(err)) {
    // Postgres may quote the offending value: keep the detail short and itself storable.
    return new PermanentFailure('poison_data', storableText(`postgres ${err.code}: ${err.message}`, 500));
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Whether BullMQ ends the job at once rather than retrying it. */
export function isPermanent(err: unknown): boolean {
  return err instanceof UnrecoverableError;
}
