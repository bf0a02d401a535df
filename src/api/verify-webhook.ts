import Stripe from 'stripe';
import { WebhookRejected } from './webhook-rejected.js';

export { WebhookRejected } from './webhook-rejected.js';

/** Stripe's default: a signed timestamp older than this is a replay. https://docs.stripe.com/webhooks#replay-attacks */
export const SIGNATURE_TOLERANCE_S = 300;

/**
 * Verifies the raw body against every configured signing secret with the SDK's `constructEvent`
 * (never a hand-written HMAC). During a secret roll Stripe signs with several secrets at once, and
 * the endpoint may be configured with old and new; any one matching is enough.
 * `header` has passed `checkSignatureHeader` (the route's `onRequest` hook, before the body was read):
 * checking its shape again here cost every webhook a second parse of it.
 */
export function verifyWebhook(webhooks: Stripe['webhooks'], rawBody: Buffer, header: string, secrets: readonly string[]): Stripe.Event {
  let lastError: unknown;
  for (const secret of secrets) {
    let event: unknown;
    try {
      event = webhooks.constructEvent(rawBody, header, secret, SIGNATURE_TOLERANCE_S);
    } catch (err) {
      if (err instanceof SyntaxError) throw new WebhookRejected('malformed_json', 'body is not valid JSON');
      lastError = err;
      continue;
    }
    // Signed JSON is not necessarily an event: `null`, an array or a number must not reach the handlers.
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new WebhookRejected('not_an_event', 'the signed payload is not a JSON object');
    }
    return event as Stripe.Event;
  }
  const reason = lastError instanceof Stripe.errors.StripeSignatureVerificationError ? lastError.message : 'no secret matched';
  throw new WebhookRejected('invalid_signature', `signature verification failed: ${reason}`);
}
