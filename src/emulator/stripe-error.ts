import type { FastifyReply } from 'fastify';

/** Stripe's error body: https://docs.stripe.com/api/errors */
export interface StripeErrorBody {
  error: { type: string; message: string; code?: string; param?: string; doc_url?: string };
}

export function stripeError(type: string, message: string, extra: { code?: string; param?: string; doc_url?: string } = {}): StripeErrorBody {
  return { error: { type, message, ...extra } };
}

/**
 * A request Stripe refuses with a coded error (e.g. `charge_already_refunded`, `amount_too_large`), answered
 * with `status` and Stripe's error body; the SDK turns `type` into its error class (`idempotency_error` into
 * `StripeIdempotencyError`).
 */
export class StripeRequestError extends Error {
  constructor(
    message: string,
    readonly extra: { code?: string; param?: string } = {},
    readonly type: 'invalid_request_error' | 'idempotency_error' = 'invalid_request_error',
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Stripe's answer to too many requests: 429, code `rate_limit` (the SDK throws `StripeRateLimitError`),
 * and `Stripe-Should-Retry: false`. Stripe's libraries retry only the 429s that are object lock timeouts
 * (`lock_timeout`, sent with `true`); a real rate limit is for the integration to slow down, not for the
 * SDK to hammer again (https://docs.stripe.com/rate-limits#handling-limiting-gracefully). No Retry-After.
 */
export function rateLimited(reply: FastifyReply): FastifyReply {
  return reply
    .code(429)
    .header('stripe-should-retry', 'false')
    .send(
      stripeError('invalid_request_error', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', {
        code: 'rate_limit',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
      }),
    );
}
