import { describe, expect, it } from 'vitest';
import { bullPrefix, jobIdFor } from '../../../src/queue/contract.js';
import { failureCodeOf, failureReason } from '../../../src/queue/job-failure.js';

describe('job ids', () => {
  const sessionId = 'cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY';
  it('are the same for a redelivery of one event and differ for a new event of the same session', () => {
    const a = jobIdFor({ sessionId, trigger: 'checkout.session.completed', eventId: 'evt_1' });
    expect(jobIdFor({ sessionId, trigger: 'checkout.session.completed', eventId: 'evt_1' })).toBe(a);
    expect(jobIdFor({ sessionId, trigger: 'checkout.session.async_payment_succeeded', eventId: 'evt_2' })).not.toBe(a);
    expect(a.startsWith(sessionId)).toBe(true);
    expect(a).not.toContain(':');
  });
  it('refuse a colon, which BullMQ forbids in custom ids', () => {
    expect(() => jobIdFor({ sessionId, trigger: 'manual', eventId: 'evt:1' })).toThrow(/may not contain/);
  });
  it('wrap the queue prefix in a Redis Cluster hash tag', () => {
    expect(bullPrefix('fulfillment')).toBe('{fulfillment}');
  });
});

describe('job failure codes', () => {
  it('travel as the first word of the failed reason and are read back only when known', () => {
    const reason = failureReason('session_not_found', 'stripe 404 resource_missing: No such checkout.session: x');
    expect(failureCodeOf(reason)).toBe('session_not_found');
    expect(failureCodeOf('poison_data')).toBe('poison_data');
    expect(failureCodeOf('connect ECONNREFUSED 127.0.0.1:5432')).toBeUndefined();
    expect(failureCodeOf('something: session_not_found')).toBeUndefined();
    expect(failureCodeOf(undefined)).toBeUndefined();
  });
});
