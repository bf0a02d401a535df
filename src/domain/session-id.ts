/**
 * A Checkout Session id: `cs_test_` or `cs_live_` and letters and digits. Real ids run to ~66 characters;
 * the cap only guards against abuse, not against Stripe making ids longer.
 */
const SESSION_ID = /^cs_(test|live)_[A-Za-z0-9]{1,250}$/;

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}
