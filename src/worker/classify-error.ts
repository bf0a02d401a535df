import { UnrecoverableError } from 'bullmq';
import { isPermanentStripeError } from '../stripe/errors.js';

/**
 * Turns a failure into what BullMQ should do with it: permanent ones (the session does not exist,
 * the key is wrong) fail the job at once as `UnrecoverableError`; everything else (network, Stripe
 * 429/5xx, Postgres unavailable) is thrown as is and retried with exponential backoff and jitter.
 */
export function classifyError(err: unknown): Error {
  if (isPermanentStripeError(err)) {
    const e = err as Error & { statusCode?: number; code?: string };
    return new UnrecoverableError(`stripe ${e.statusCode ?? ''} ${e.code ?? ''}: ${e.message}`.replace(/\s+/g, ' '));
  }
  return err instanceof Error ? err : new Error(String(err));
}
