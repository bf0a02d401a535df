import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random letters and digits, like Stripe's object ids. */
export function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** A Checkout Session id as long as real ones: `cs_test_` plus 58 characters. */
export function sessionId(livemode: boolean): string {
  return randomId(livemode ? 'cs_live_' : 'cs_test_', 58);
}
