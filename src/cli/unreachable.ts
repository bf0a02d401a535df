import Stripe from 'stripe';

/** A service the CLI needs did not answer; the CLI exits 3 for it. */
export class Unreachable extends Error {
  readonly code = 'service_unreachable';
  override readonly name = 'Unreachable';
}

/**
 * Connection-level failures by their stable codes: Node's socket errors (`err.code`) and postgres.js's
 * own connection codes (https://github.com/porsager/postgres#connection-errors), never by message text.
 */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

export function isUnreachable(err: unknown): boolean {
  if (err instanceof Unreachable || err instanceof Stripe.errors.StripeConnectionError) return true;
  const code: unknown = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}
