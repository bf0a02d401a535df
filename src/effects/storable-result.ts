import { storableCode, storableReply } from '../domain/receiver-reply.js';
import type { DeliveryResult } from './effect.js';

/** The most of a reason kept in `last_error` (a receiver's reply is evidence, not a transcript). */
export const MAX_REASON = 1000;

/**
 * A deliverer's result with every string it carries made storable (domain/receiver-reply.ts), whoever
 * wrote the deliverer: the built-ins already clean what receivers said, a merchant's may not, and one
 * unstorable reason must not keep an effect from being settled, backed off and, at its horizon, `dead`.
 */
export function storableResult(result: DeliveryResult): DeliveryResult {
  if (result.outcome === 'delivered') {
    return result.detail === undefined ? result : { ...result, detail: storableReply(String(result.detail), MAX_REASON) };
  }
  return { ...result, code: storableCode(result.code), reason: storableReply(String(result.reason), MAX_REASON) };
}
