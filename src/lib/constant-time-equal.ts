import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a secret the client sent with the configured one in constant time, so that response times
 * tell nothing about how much of it was right (Bull Board credentials, the metrics token).
 */
export function constantTimeEqual(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  // timingSafeEqual needs equal lengths; compare `wanted` with itself to spend the same time, then fail.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false);
}
