import { UnrecoverableError } from 'bullmq';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { failureCodeOf } from '../../../src/queue/job-failure.js';
import { classifyError, PermanentFailure } from '../../../src/worker/classify-error.js';

const raw = (type: string, statusCode: number, extra: Record<string, string> = {}) => ({ type, message: `${type} ${statusCode}`, statusCode, ...extra });

describe('classifyError: permanent failures fail at once, the rest are retried', () => {
  it.each([
    ['session not found (404)', new Stripe.errors.StripeInvalidRequestError(raw('invalid_request_error', 404, { code: 'resource_missing' }) as never)],
    ['bad key (401)', new Stripe.errors.StripeAuthenticationError(raw('authentication_error', 401) as never)],
    ['restricted key without the permission (403)', new Stripe.errors.StripePermissionError(raw('invalid_request_error', 403) as never)],
  ])('%s → UnrecoverableError', (_name, err) => {
    expect(classifyError(err)).toBeInstanceOf(UnrecoverableError);
  });

  it('carries a stable code, from Stripe\'s own code, in the field and at the head of the message', () => {
    const missing = classifyError(new Stripe.errors.StripeInvalidRequestError(raw('invalid_request_error', 404, { code: 'resource_missing' }) as never));
    expect(missing).toBeInstanceOf(PermanentFailure);
    expect((missing as PermanentFailure).code).toBe('session_not_found');
    expect(failureCodeOf(missing.message)).toBe('session_not_found');
    expect(missing.message).toContain('404 resource_missing');
    const badKey = classifyError(new Stripe.errors.StripeAuthenticationError(raw('authentication_error', 401) as never));
    expect((badKey as PermanentFailure).code).toBe('stripe_refused');
  });

  it.each([
    ['rate limited (429)', new Stripe.errors.StripeRateLimitError(raw('invalid_request_error', 429, { code: 'rate_limit' }) as never)],
    ['Stripe 5xx', new Stripe.errors.StripeAPIError(raw('api_error', 500) as never)],
    ['network', new Stripe.errors.StripeConnectionError(raw('api_connection_error', 0) as never)],
    ['Postgres unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  ])('%s → retried with backoff', (_name, err) => {
    const classified = classifyError(err);
    expect(classified).not.toBeInstanceOf(UnrecoverableError);
    expect(classified).toBe(err);
  });
});
