import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Config, StripeReadyConfig } from '../config/index.js';
import { requireStripe } from '../config/index.js';
import { startDemoMailbox } from '../demo/mailbox-server.js';
import type { Emulator } from '../emulator/server.js';
import { LOCAL_EMULATOR_WEBHOOK_SECRET, startEmulator } from '../emulator/start.js';
import { createLogger, prettyFor } from '../logger.js';
import { createApiProcess } from './api-process.js';
import { localEmulatorUrl, usesLocalEmulator, withLocalEmulator } from './local-emulator.js';
import { Closers, type RoleProcess } from './role-process.js';
import { chooseLocalServices } from './local-services.js';
import { listenStep } from './start-failure.js';
import { createWorkerProcess } from './worker-process.js';

/**
 * `npm start` and `npm run demo`: the api role and one worker role in this one process (and, without
 * Stripe settings outside production, the local Stripe emulator). One process means one pid for a
 * process manager or a terminal to signal; scale out with `npm run start:worker` elsewhere.
 */
export function createLocalProcess(given: Config, opts: { demo: boolean }): RoleProcess {
  const log = createLogger(given.logLevel, 'start', { pretty: prettyFor(given.nodeEnv) });
  const closers = new Closers();
  const useEmulator = opts.demo || usesLocalEmulator(given);

  return {
    async start() {
      // First, and first in the log: where Postgres and the queues are (an embedded Postgres, closed last).
      const services = await chooseLocalServices(given, log);
      closers.add('embedded postgres', () => services.stop());
      let config = services.config;
      // Before any work: a taken PORT is said at once, not after the worker ran a reconciliation.
      if (config.http.port !== 0) await listenStep('PORT', config.http.host, config.http.port, () => portFree(config.http.host, config.http.port));
      // The demo's Bull Board, with credentials made for this run and printed once (ADMIN_* set: those).
      const demoAdmin = opts.demo && config.ops.admin === undefined;
      if (demoAdmin) config = withDemoAdmin(config);
      let roleConfig: StripeReadyConfig;
      if (useEmulator) {
        const secrets = opts.demo ? [LOCAL_EMULATOR_WEBHOOK_SECRET] : (config.stripe.webhookSecrets ?? [LOCAL_EMULATOR_WEBHOOK_SECRET]);
        const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
        const emulator: Emulator = await listenStep('EMULATOR_PORT', '127.0.0.1', config.emulatorPort, () =>
          startEmulator({ port: config.emulatorPort, limits: config.http.limits, webhookSecrets: secrets, webhookEndpoints: [`http://${host}:${config.http.port}/webhook`] }),
        );
        closers.add('emulator', () => emulator.app.close());
        const url = localEmulatorUrl(config, Number(new URL(emulator.url()).port));
        // Its control page refunds, fails refunds and opens disputes on the demo's payments (the Dashboard's part).
        log.info({ url, controlPage: `${url}/_emulator` }, 'no Stripe settings: using the local Stripe emulator (test mode, nothing reaches Stripe)');
        roleConfig = withLocalEmulator(config, url, secrets);
      } else {
        roleConfig = requireStripe(config, 'set both to use Stripe, or unset STRIPE_SECRET_KEY and STRIPE_API_BASE to use the local emulator');
      }
      if (opts.demo) {
        // The demo's receipts go to a local SMTP sink, shown at its mailbox page (linked from the order page).
        const mailbox = await startDemoMailbox({ host: '127.0.0.1', shopUrl: `${config.landing.publicUrl}/`, log, limits: config.http.limits });
        closers.add('mailbox', () => mailbox.close());
        log.info({ url: mailbox.url, smtpUrl: mailbox.sink.smtpUrl }, 'demo mailbox: receipt emails land here');
        roleConfig = withDemoMailbox(roleConfig, mailbox.sink.smtpUrl, mailbox.url);
      }
      const worker = createWorkerProcess(roleConfig);
      closers.add('worker', () => worker.stop());
      const api = await createApiProcess(roleConfig);
      closers.add('api', () => api.stop());
      await worker.start();
      await api.start();
      if (opts.demo) log.info({ url: `${config.landing.publicUrl}/` }, `demo shop: open ${config.landing.publicUrl}/ in a browser`);
      const admin = config.ops.admin;
      if (demoAdmin && admin !== undefined) {
        const url = `${api.url()}/admin/queues`;
        log.info({ url, username: admin.username, password: admin.password }, `Bull Board (the queues): ${url}, user ${admin.username}, password ${admin.password} (made for this demo run)`);
      }
    },
    async stop() {
      // The api first (no new work), then the worker drains, then the emulator goes.
      await closers.closeAll((name, err) => log.warn({ err, resource: name }, 'close failed'));
    },
  };
}

/** The config with Bull Board on, for the demo: a fresh password each run (ADMIN_USERNAME/ADMIN_PASSWORD choose your own). */
function withDemoAdmin(config: Config): Config {
  const admin = Object.freeze({ username: 'demo', password: randomBytes(12).toString('base64url'), readonly: false });
  return Object.freeze({ ...config, ops: Object.freeze({ ...config.ops, admin }) });
}

/** Resolves when `host:port` can be listened on (and lets it go again); rejects with the listen error otherwise. */
function portFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** The config with receipt email going to the demo's SMTP sink, and the order page linking its mailbox. */
function withDemoMailbox(config: StripeReadyConfig, smtpUrl: string, mailboxUrl: string): StripeReadyConfig {
  return Object.freeze({
    ...config,
    effects: Object.freeze({ ...config.effects, smtpUrl }),
    landing: Object.freeze({ ...config.landing, demoMailboxUrl: mailboxUrl }),
  });
}
