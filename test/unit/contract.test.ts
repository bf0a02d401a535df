import { describe, expect, it } from 'vitest';
import { bullPrefix, jobIdFor } from '../../src/queue/contract.js';

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
