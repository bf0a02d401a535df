import Stripe from 'stripe';

/** Stripe's default: a signed timestamp older than this is a replay. https://docs.stripe.com/webhooks#replay-attacks */
export const SIGNATURE_TOLERANCE_S = 300;

export class WebhookRejected extends Error {
  override readonly name = 'WebhookRejected';
  constructor(
    readonly code: 'missing_signature' | 'invalid_signature' | 'malformed_json',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies the raw body against every configured signing secret with the SDK's `constructEvent`
 * (never a hand-written HMAC). During a secret roll Stripe signs with several secrets at once, and
 * the endpoint may be configured with old and new; any one matching is enough.
 */
export function verifyWebhook(
  webhooks: Stripe['webhooks'],
  rawBody: Buffer,
  signatureHeader: string | string[] | undefined,
  secrets: readonly string[],
): Stripe.Event {
  if (typeof signatureHeader !== 'string' || signatureHeader.length === 0) {
    throw new WebhookRejected('missing_signature', 'missing Stripe-Signature header');
  }
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      return webhooks.constructEvent(rawBody, signatureHeader, secret, SIGNATURE_TOLERANCE_S);
    } catch (err) {
      if (err instanceof SyntaxError) throw new WebhookRejected('malformed_json', 'body is not valid JSON');
      lastError = err;
    }
  }
  const reason = lastError instanceof Stripe.errors.StripeSignatureVerificationError ? lastError.message : 'no secret matched';
  throw new WebhookRejected('invalid_signature', `signature verification failed: ${reason}`);
}
