/**
 * Why a fulfillment job failed, as a stable code that crosses the queue from the worker to its readers
 * (the landing page, the CLI, Bull Board). BullMQ keeps only a failed job's message (`failedReason`), so
 * the code travels as that message's first word: `<code>: <detail>`. Readers call `failureCodeOf`, never
 * match the detail: Stripe and Postgres may word their messages differently tomorrow.
 */
export const FAILURE_CODES = [
  /** Stripe does not know the session (HTTP 404, code `resource_missing`). */
  'session_not_found',
  /** Stripe refused for another reason that retrying will not fix (bad key, missing permission, bad request). */
  'stripe_refused',
  /** Postgres refused the session's data (SQLSTATE class 22 or 23): the same input fails the same way every time. */
  'poison_data',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];

export function failureReason(code: FailureCode, detail: string): string {
  return `${code}: ${detail}`;
}

/** The code a failed job's `failedReason` starts with, or undefined for a failure that carries none (transient ones). */
export function failureCodeOf(reason: string | undefined): FailureCode | undefined {
  if (reason === undefined) return undefined;
  const colon = reason.indexOf(':');
  const head = colon < 0 ? reason : reason.slice(0, colon);
  return (FAILURE_CODES as readonly string[]).includes(head) ? (head as FailureCode) : undefined;
}
