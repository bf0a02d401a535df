import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from './boot.js';
import { migrateDatabase } from './db/migrate.js';
import { startDemoMailbox } from './demo/mailbox-server.js';
import { LOCAL_EMULATOR_WEBHOOK_SECRET, startEmulator } from './emulator/start.js';
import { createLogger } from './logger.js';

/**
 * `npm start`: the api and one worker process in one command. Outside production, with neither
 * STRIPE_SECRET_KEY nor STRIPE_API_BASE set, it also runs the local Stripe emulator and points both at it.
 * `npm run demo` (`--demo`) always uses the emulator and prints the shop's URL.
 * Scale out with `npm run start:worker` on as many machines as needed.
 */
const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'start');
const env: NodeJS.ProcessEnv = { ...process.env };

const demo = process.argv.includes('--demo');
if (demo && config.nodeEnv === 'production') {
  process.stderr.write('npm run demo runs only outside NODE_ENV=production\n');
  process.exit(2);
}
const useEmulator = demo || (config.nodeEnv !== 'production' && config.stripe.secretKey === undefined && config.stripe.apiBase === undefined);
let closeEmulator = async (): Promise<void> => {};
if (useEmulator) {
  const secrets = demo ? [LOCAL_EMULATOR_WEBHOOK_SECRET] : (config.stripe.webhookSecrets ?? [LOCAL_EMULATOR_WEBHOOK_SECRET]);
  const emulator = await startEmulator({
    port: config.emulatorPort,
    webhookSecrets: secrets,
    webhookEndpoints: [`http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}/webhook`],
  });
  log.info({ url: emulator.url() }, 'no Stripe settings: using the local Stripe emulator (test mode, nothing reaches Stripe)');
  Object.assign(env, { STRIPE_SECRET_KEY: 'sk_test_local_emulator', STRIPE_API_BASE: emulator.url(), STRIPE_WEBHOOK_SECRET: secrets.join(',') });
  closeEmulator = () => emulator.app.close();
}

// The demo's receipts go to a local SMTP sink, shown at its mailbox page (linked from the order page).
let closeMailbox = async (): Promise<void> => {};
if (demo) {
  const mailbox = await startDemoMailbox({ host: '127.0.0.1', shopUrl: `${config.landing.publicUrl}/`, log });
  Object.assign(env, { SMTP_URL: mailbox.sink.smtpUrl, DEMO_MAILBOX_URL: mailbox.url });
  log.info({ url: mailbox.url, smtpUrl: mailbox.sink.smtpUrl }, 'demo mailbox: receipt emails land here');
  closeMailbox = () => mailbox.close();
}

// Migrate once here so the two children do not both wait on the migration lock.
await migrateDatabase(config.databaseUrl);

const children: ChildProcess[] = ['api/server.ts', 'worker/main.ts'].map((entry) =>
  // Own process group: a Ctrl-C reaches only this process, which then sends each child one SIGTERM.
  // A child whose parent dies sees its IPC channel close and shuts down too (see boot.ts).
  fork(fileURLToPath(new URL(entry, import.meta.url)), { env, execArgv: ['--import', 'tsx'], detached: true }),
);
if (demo) {
  log.info({ url: `${config.landing.publicUrl}/` }, `demo shop: open ${config.landing.publicUrl}/ in a browser`);
}
let stopping = false;
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log.error({ pid: child.pid, code, signal }, 'a child process exited: stopping the rest');
      void stop(1);
    }
  });
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(0));

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  await closeEmulator();
  await closeMailbox();
  process.exit(code);
}
