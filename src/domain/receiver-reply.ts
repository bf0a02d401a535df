import { displayText } from './display-text.js';
import { storableText } from './storable.js';

/**
 * What a receiver said (an SMTP reply, an HTTP response body, an error's message) made fit to store in
 * `last_error` and to log and show. The receiver writes these bytes, not us: an SMTP server answering with
 * a NUL once made the reason unstorable (Postgres refuses U+0000), the job threw before the attempt was
 * recorded, and the receipt came back every lease, forever, never `dead`. So: no NUL, no lone surrogate,
 * no U+FFFD (what bytes that were not UTF-8 decode to), no control or bidi character, at most `max`
 * characters.
 */
export function storableReply(value: string, max: number): string {
  const text = displayText(value.replace(/\uFFFD+/g, ' ')).replace(/ {2,}/g, ' ').trim();
  return storableText(text, max);
}

/** A failure code stays a code (deliverers may be the merchant's): `[A-Za-z0-9_.-]`, at most 64 characters, never empty. */
export function storableCode(value: string): string {
  const code = String(value).replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64);
  return code === '' || code === '_' ? 'unknown' : code;
}
