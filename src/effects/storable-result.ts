import { storableCode, storableReply } from '../domain/receiver-reply.js';
import type { DeliveryResult } from './effect.js';

/** The most of a reason kept in `last_error` (a receiver's reply is evidence, not a transcript). */
export const MAX_REASON = 1000;
/** The longest Retry-After a deliverer may ask for (the built-in callback deliverer caps it at 1 h by default). */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * A deliverer's result with every string it carries made storable (domain/receiver-reply.ts), whoever
 * wrote the deliverer: the built-ins already clean what receivers said, a merchant's may not, and one
 * unstorable reason must not keep an effect from being settled, backed off and, at its horizon, `dead`.
 */
export function storableResult(result: DeliveryResult): DeliveryResult {
  if (result.outcome === 'delivered') {
    return result.detail === undefined ? result : { ...result, detail: storableReply(String(result.detail), MAX_REASON) };
  }
  const cleaned = { ...result, code: storableCode(result.code), reason: storableReply(String(result.reason), MAX_REASON) };
  if (cleaned.outcome !== 'retry' || cleaned.retryAfterMs === undefined) return cleaned;
  // A wait the backoff can compute with: a NaN or an Infinity made the next attempt's time unstorable.
  const wait = cleaned.retryAfterMs;
  const { retryAfterMs: _dropped, ...rest } = cleaned;
  return typeof wait === 'number' && Number.isFinite(wait) ? { ...rest, retryAfterMs: Math.min(Math.max(0, wait), MAX_RETRY_AFTER_MS) } : rest;
}
