import type Stripe from 'stripe';
import { stripeEndpointLabel, type Metrics } from '../observability/metrics.js';

/** Counts every Stripe response (429s and 5xx included) through the SDK's `response` event. */
export function instrumentStripe(stripe: Stripe, metrics: Metrics): void {
  stripe.on('response', (e: Stripe.ResponseEvent) => {
    metrics.stripeRequests.inc({ method: e.method, endpoint: stripeEndpointLabel(e.path), status: String(e.status) });
  });
}
