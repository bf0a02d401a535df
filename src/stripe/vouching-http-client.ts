import Stripe from 'stripe';
import { vouchStorable } from '../domain/storable.js';
import { stripeEndpointLabel } from '../observability/metrics.js';
import { withSpan } from '../observability/tracing.js';

/** The SDK response's JSON step: `toJSON()` reads the body as text, then calls this (stripe 23's HttpClientResponse). */
interface ParsesBody {
  _parseResponseBody?: (body: string) => unknown;
}

/**
 * The SDK's HTTP client with every JSON answer checked for storability on the text it was parsed from
 * (domain/storable.ts, vouchStorable), so a run does not stringify the session again to ask.
 *
 * It hooks the SDK's internal `_parseResponseBody`, on purpose and safely: if a later SDK stops calling
 * it, nothing is vouched and every run takes the JSON.stringify check again (slower, never wrong), and
 * test/stripe-vouched.test.ts fails to say so.
 */
export function vouchingHttpClient(inner: Stripe.HttpClient = Stripe.createNodeHttpClient()): Stripe.HttpClient {
  const client = Object.create(inner) as Stripe.HttpClient;
  client.makeRequest = (...args: Parameters<Stripe.HttpClient['makeRequest']>) => traced(args, () => vouched(args));
  const vouched = async (args: Parameters<Stripe.HttpClient['makeRequest']>) => {
    const res = await inner.makeRequest(...args);
    const target = res as unknown as ParsesBody;
    const parse = target._parseResponseBody;
    if (typeof parse === 'function') {
      target._parseResponseBody = (body: string) => {
        const parsed = parse.call(res, body);
        vouchStorable(body, parsed);
        return parsed;
      };
    }
    return res;
  };
  return client;
}

/**
 * Each request the SDK makes (each retry too) as a client span when tracing is on: the SDK talks through
 * node:http, which nothing here instruments, so the span is made here. `url.full` is host and path: the
 * secret key travels in the Authorization header, never in the URL.
 */
function traced(args: Parameters<Stripe.HttpClient['makeRequest']>, send: () => Promise<Stripe.HttpClientResponse>): Promise<Stripe.HttpClientResponse> {
  const [host, port, path, method, , , protocol] = args;
  const endpoint = stripeEndpointLabel(path);
  const attributes = { 'http.request.method': method, 'url.full': `${protocol}://${host}:${port}${path}`, 'server.address': host, 'server.port': Number(port), 'stripe.endpoint': endpoint };
  return withSpan(`stripe ${method} ${endpoint}`, { kind: 'client', attributes }, async (span) => {
    const res = await send();
    span?.setAttribute('http.response.status_code', res.getStatusCode());
    return res;
  });
}
