import { describe, expect, it } from 'vitest';
import { MAX_REASON, storableResult } from '../../../src/effects/storable-result.js';

/** Any deliverer's result (the merchant's included) is made storable before the outbox records it. */
describe('storableResult', () => {
  it('cleans the reason (NUL, controls, bidi, U+FFFD, lone surrogates) and bounds it', () => {
    const r = storableResult({ outcome: 'retry', code: 'smtp_deferred', reason: 'busy\u0000 \u001b[2J\u202e try \ufffd\ud800later' });
    expect(r).toEqual({ outcome: 'retry', code: 'smtp_deferred', reason: 'busy [2J try later' });
    const long = storableResult({ outcome: 'permanent', code: 'x', reason: 'y'.repeat(5000) });
    expect(long.outcome === 'permanent' && long.reason.length).toBe(MAX_REASON);
  });

  it('keeps a code a code', () => {
    expect(storableResult({ outcome: 'retry', code: 'Bad Code!\u0000', reason: '' })).toMatchObject({ code: 'Bad_Code_' });
    expect(storableResult({ outcome: 'retry', code: '', reason: '' })).toMatchObject({ code: 'unknown' });
    expect(storableResult({ outcome: 'retry', code: 'c'.repeat(100), reason: '' })).toMatchObject({ code: 'c'.repeat(64) });
  });

  it('drops a Retry-After the backoff cannot compute with, bounds the others', () => {
    expect(storableResult({ outcome: 'retry', code: 'c', reason: 'r', retryAfterMs: Number.NaN })).toEqual({ outcome: 'retry', code: 'c', reason: 'r' });
    expect(storableResult({ outcome: 'retry', code: 'c', reason: 'r', retryAfterMs: Infinity })).toEqual({ outcome: 'retry', code: 'c', reason: 'r' });
    expect(storableResult({ outcome: 'retry', code: 'c', reason: 'r', retryAfterMs: -5 })).toMatchObject({ retryAfterMs: 0 });
    expect(storableResult({ outcome: 'retry', code: 'c', reason: 'r', retryAfterMs: 1e12 })).toMatchObject({ retryAfterMs: 24 * 3_600_000 });
    expect(storableResult({ outcome: 'retry', code: 'c', reason: 'r', retryAfterMs: 7000 })).toMatchObject({ retryAfterMs: 7000 });
  });

  it('cleans a delivery detail; a clean delivery is left as it is', () => {
    expect(storableResult({ outcome: 'delivered', detail: '250 OK\u0000' })).toEqual({ outcome: 'delivered', detail: '250 OK' });
    const clean = { outcome: 'delivered' as const };
    expect(storableResult(clean)).toBe(clean);
  });
});
