/**
 * The comparison case for the benchmark: the webhook handler of Stripe's guide sample, which fulfills
 * *inside* the request (retrieve from Stripe, write to Postgres, then answer). Not part of the service.
 */
import Fastify from 'fastify';
import { verifyWebhook } from '../src/api/verify-webhook.js';
import { loadConfigOrExit } from '../src/roles/boot.js';
import { connectDatabase } from '../src/db/client.js';
import { recordRun } from '../src/run/record-run.js';
import { recordLineItems } from '../src/fulfillment/built-in/record-line-items.js';
import { fulfillCheckout } from '../src/domain/fulfill-checkout.js';
import { createStripeClient } from '../src/stripe/client.js';

const config = loadConfigOrExit(process.env, { stripe: true });
const database = connectDatabase(config.databaseUrl, { max: 50 });
const stripe = createStripeClient({ secretKey: config.stripe.secretKey, apiBase: config.stripe.apiBase, maxNetworkRetries: 2 });
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/webhook', async (req) => {
  const event = verifyWebhook(stripe.webhooks, req.body as Buffer, String(req.headers['stripe-signature'] ?? ''), config.stripe.webhookSecrets);
  const sessionId = (event.data.object as { id: string }).id;
  await fulfillCheckout(
    { sessionId, trigger: 'checkout.session.completed', eventId: event.id },
    { stripe, record: (input) => recordRun(database.sql, input, [recordLineItems]) },
  );
  return { received: true };
});
await app.listen({ host: config.http.host, port: config.http.port });
console.log('inline server listening');
