import Stripe from 'stripe';
import { isConnectionError } from '../observability/connection-error.js';

/** A service the CLI needs did not answer; the CLI exits 3 for it. */
export class Unreachable extends Error {
  readonly code = 'service_unreachable';
  override readonly name = 'Unreachable';
}

/** A service did not answer: by our own error, Stripe's connection error class, or a socket or driver code. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof Unreachable || err instanceof Stripe.errors.StripeConnectionError || isConnectionError(err);
}
