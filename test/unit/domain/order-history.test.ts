import { describe, expect, it } from 'vitest';
import { describeEntry } from '../../../src/domain/order-history.js';

describe('the order desk in plain words', () => {
  it('says each kind of entry as a support person reads it', () => {
    expect(describeEntry({ kind: 'webhook', eventId: 'evt_1', type: 'checkout.session.completed', receivedAt: '', redelivery: true }, null)).toBe(
      'Stripe sent checkout.session.completed again (a redelivery of an event already received)',
    );
    expect(describeEntry({ kind: 'run', trigger: 'landing', attempt: 1, maxAttempts: 12, outcome: 'fulfilled', changed: true, durationMs: 80, stripeRequests: 1 }, null)).toBe(
      'Run 1 of 12 by the customer landing on the success page: fulfilled, 80 ms, 1 Stripe request',
    );
    expect(describeEntry({ kind: 'run', trigger: 'reconcile', attempt: 12, outcome: 'failed', errorCode: 'retryable', finalFailure: true, durationMs: 5, stripeRequests: 3 }, null)).toBe(
      'Run 12 by reconciliation failed (retryable), for good',
    );
    expect(describeEntry({ kind: 'effect', effectId: '7', effectKind: 'email', target: 'a@example.com', attempt: 2, result: 'retry', code: 'smtp_4xx', reason: '451 try later', nextAttemptAt: '2026-12-08T03:00:00.000Z' }, null)).toBe(
      'email to a@example.com, attempt 2 failed (smtp_4xx: 451 try later); next attempt 2026-12-08T03:00:00.000Z',
    );
    expect(describeEntry({ kind: 'action', action: 'skip_effect', effectId: '7', result: 'done', via: 'cli' }, 'root')).toBe('root skipped effect 7 (cli): done');
  });
});
