import Stripe from 'stripe';

/**
 * Which Stripe failures are worth retrying. Network trouble, 429 and 5xx are transient; a missing
 * session or a bad key will not fix itself and must fail at once.
 * https://docs.stripe.com/error-handling
 */
function isRetryableStripeError(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return false;
  if (err instanceof Stripe.errors.StripeConnectionError) return true;
  if (err instanceof Stripe.errors.StripeRateLimitError) return true;
  if (err instanceof Stripe.errors.StripeAPIError) return true;
  const status = err.statusCode ?? 0;
  return status === 409 || status === 429 || status >= 500;
}

export function isPermanentStripeError(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof Stripe.errors.StripeError && !isRetryableStripeError(err);
}

/** `stripe 404 resource_missing: No such checkout.session: …`: Stripe's own status, code and message, for logs and Bull Board. */
export function stripeErrorSummary(err: Stripe.errors.StripeError): string {
  return `stripe ${err.statusCode ?? ''} ${err.code ?? ''}: ${err.message}`.replace(/\s+/g, ' ');
}
