import { describe, expect, it } from 'vitest';
import { nextDelayMs } from '../../../src/effects/backoff.js';

describe('effect backoff', () => {
  const policy = { baseMs: 1000, horizonMs: 72 * 3_600_000 };
  const created = new Date('2026-11-27T00:00:00Z');
  const at = (ms: number) => new Date(created.getTime() + ms);

  it('doubles per attempt with equal jitter: between half and all of the step', () => {
    expect(nextDelayMs(policy, 1, created, at(0), undefined, () => 0)).toBe(500);
    expect(nextDelayMs(policy, 1, created, at(0), undefined, () => 1)).toBe(1000);
    expect(nextDelayMs(policy, 4, created, at(0), undefined, () => 0)).toBe(4000);
    expect(nextDelayMs(policy, 4, created, at(0), undefined, () => 0.999)).toBeLessThanOrEqual(8000);
  });

  it('caps a step at one hour and never comes sooner than Retry-After', () => {
    expect(nextDelayMs(policy, 40, created, at(0), undefined, () => 1)).toBe(3_600_000);
    expect(nextDelayMs(policy, 1, created, at(0), 7000, () => 0)).toBe(7000);
  });

  it('the last try lands on the horizon; past it there is none (dead)', () => {
    const nearEnd = at(policy.horizonMs - 2000);
    expect(nextDelayMs(policy, 20, created, nearEnd, undefined, () => 1)).toBe(2000);
    expect(nextDelayMs(policy, 20, created, at(policy.horizonMs), undefined, () => 1)).toBeUndefined();
  });
});
