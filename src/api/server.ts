import { loadConfigOrExit, onShutdown } from '../boot.js';
import { connectDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { createFulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileQueue } from '../queue/reconcile-queue.js';
import { producerConnection } from '../queue/redis.js';
import { createStripeClient } from '../stripe/client.js';
import { addQueueGauges, addSessionGauges } from '../observability/collectors.js';
import { createMetrics } from '../observability/metrics.js';
import { buildApp } from './app.js';

const config = loadConfigOrExit(process.env, { stripe: true });
const log = createLogger(config.logLevel, 'api', { pii: config.ops.logPii });

await migrateDatabase(config.databaseUrl);
const database = connectDatabase(config.databaseUrl, { max: 10 });
const connection = producerConnection(config.redisUrl);
connection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
const queue = createFulfillmentQueue(connection, config.queue);
queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
// Used to verify webhooks, and by the demo shop outside production; never on the webhook path.
const stripe = createStripeClient({ secretKey: config.stripe.secretKey, apiBase: config.stripe.apiBase, maxNetworkRetries: 2 });
const shop =
  config.nodeEnv === 'production'
    ? undefined
    : { stripe, publicUrl: config.landing.publicUrl, checkoutOrigin: config.stripe.apiBase?.origin ?? 'https://checkout.stripe.com' };

const reconcileQueue = createReconcileQueue(connection, config.queue.prefix);
const admin = config.ops.admin;
const metrics = createMetrics('api');
addQueueGauges(metrics.registry, queue);
addSessionGauges(metrics.registry, database.sql);

const app = await buildApp({
  log,
  queue,
  db: database.db,
  webhooks: stripe.webhooks,
  webhookSecrets: config.stripe.webhookSecrets,
  livemode: config.stripe.livemode,
  trustProxy: config.http.trustProxy,
  ...(admin === undefined ? {} : { admin: { queues: [queue, reconcileQueue], username: admin.username, password: admin.password, readOnly: admin.readonly } }),
  metrics,
  readiness: { sql: database.sql, redis: connection },
  metricsToken: config.ops.metricsToken,
  landing: { ...config.landing, emailConfigured: config.effects.smtpUrl !== undefined },
  redis: connection,
  ...(shop === undefined ? {} : { shop }),
});
app.addHook('onClose', async () => {
  await Promise.all([queue.close(), reconcileQueue.close()]);
  await connection.quit().catch(() => undefined);
  await database.close();
});

await app.listen({ host: config.http.host, port: config.http.port });
log.info(
  { livemode: config.stripe.livemode, secrets: config.stripe.webhookSecrets.length, shop: shop !== undefined, pid: process.pid },
  'api listening',
);
if (admin === undefined) log.info('Bull Board is off: set ADMIN_USERNAME and ADMIN_PASSWORD to serve it at /admin/queues');
else log.info({ readOnly: admin.readonly }, 'Bull Board at /admin/queues');

// Fastify's close stops accepting, lets in-flight requests finish, then runs the onClose hooks.
onShutdown(log, 10_000, () => app.close());
