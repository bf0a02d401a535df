import { WebhookRejected } from './webhook-rejected.js';

/** Far above what Stripe sends (a timestamp and one `v1=` of 64 hex digits per signing secret). */
const MAX_HEADER_LENGTH = 2048;
const ITEM = /^([a-z0-9]+)=([A-Za-z0-9]+)$/;
const V1 = /^[0-9a-f]{64}$/;

/**
 * The checks on `Stripe-Signature` that need no body: present, shaped like Stripe's
 * `t=<unix seconds>,v1=<hex>[,v1=…][,v0=…]` (https://docs.stripe.com/webhooks#verify-manually), and a
 * timestamp within the tolerance. Run from an `onRequest` hook, they turn away unsigned and replayed
 * requests before a megabyte of body is read. Hand-written because the SDK parses the header only
 * together with the body; the signature itself is still checked by the SDK's `constructEvent`.
 * The tolerance holds in both directions, unlike the SDK's: a timestamp from the future was a free pass
 * past this check for anyone holding a connection open with a trickled body (issue 23). Stripe signs at
 * sending, so a delivery is never ahead of a clock that is within the tolerance of true time (NTP).
 */
export function checkSignatureHeader(header: string | string[] | undefined, nowS: number, toleranceS: number): WebhookRejected | undefined {
  if (header === undefined || header === '') return new WebhookRejected('missing_signature', 'missing Stripe-Signature header');
  if (typeof header !== 'string') return new WebhookRejected('malformed_signature', 'more than one Stripe-Signature header');
  if (header.length > MAX_HEADER_LENGTH) return new WebhookRejected('malformed_signature', `Stripe-Signature header longer than ${MAX_HEADER_LENGTH} characters`);
  let timestamp: number | undefined;
  let signatures = 0;
  for (const item of header.split(',')) {
    const match = ITEM.exec(item.trim());
    if (match === null) return malformed();
    const [, key, value] = match as unknown as [string, string, string];
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return malformed();
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!V1.test(value)) return malformed();
      signatures++;
    }
  }
  if (timestamp === undefined || signatures === 0) return malformed();
  if (timestamp < nowS - toleranceS) {
    return new WebhookRejected('expired_signature', `signature timestamp is more than ${toleranceS} s old`);
  }
  if (timestamp > nowS + toleranceS) {
    return new WebhookRejected('future_signature', `signature timestamp is more than ${toleranceS} s in the future: check this machine's clock`);
  }
  return undefined;
}

function malformed(): WebhookRejected {
  return new WebhookRejected('malformed_signature', 'Stripe-Signature header is not t=<timestamp>,v1=<signature>');
}
