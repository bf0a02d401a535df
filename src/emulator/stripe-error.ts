/** Stripe's error body: https://docs.stripe.com/api/errors */
export interface StripeErrorBody {
  error: { type: string; message: string; code?: string; param?: string };
}

export function stripeError(type: string, message: string, extra: { code?: string; param?: string } = {}): StripeErrorBody {
  return { error: { type, message, ...extra } };
}
