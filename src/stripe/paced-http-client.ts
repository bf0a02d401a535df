import Stripe from 'stripe';
import { stripeEndpointLabel } from '../observability/metrics.js';
import { timedWait } from '../observability/tracing.js';
import type { StripeRateBudget } from './rate-budget.js';
import { noteStripeRequest } from './request-count.js';

/** How long the fleet pauses after a 429 when Stripe does not say (it usually does not). */
const PAUSE_AFTER_429_MS = 1000;

/**
 * The SDK's own Node HTTP client, with every request first taking its place in the fleet-wide
 * budget, and a 429 pausing the whole fleet. The SDK's retries (which honour `Stripe-Should-Retry`)
 * go through here too, so they wait their turn as well.
 */
export function pacedHttpClient(budget: StripeRateBudget): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  const paced = Object.create(inner) as Stripe.HttpClient;
  paced.makeRequest = async (host, port, path, method, headers, requestData, protocol, timeout) => {
    const endpoint = `${method} ${stripeEndpointLabel(path)}`;
    // The fleet's budget may hold the request back: a wait of 1 ms or more is a span of its own, under the request's.
    await timedWait('stripe budget wait', { 'stripe.endpoint': endpoint }, () => budget.take(endpoint));
    noteStripeRequest();
    const res = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
    if (res.getStatusCode() === 429) {
      const retryAfter = Number(res.getHeaders()['retry-after']);
      await budget.pauseFleet(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : PAUSE_AFTER_429_MS);
    }
    return res;
  };
  return paced;
}
