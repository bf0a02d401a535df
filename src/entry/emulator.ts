import { z } from 'zod';
import { createLogger } from '../logger.js';
import { LOCAL_EMULATOR_WEBHOOK_SECRET, startEmulator } from '../emulator/start.js';

/** `npm run emulator`: the local Stripe emulator on its own, for scripts and manual testing. */
const schema = z.object({
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(12111),
  EMULATOR_HOST: z.string().default('127.0.0.1'),
  EMULATOR_WEBHOOK_URL: z.url().optional(),
  EMULATOR_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Stripe's request-rate limits: off, by-key (as Stripe: live 100/s and 25/s per endpoint, test 25/s), live. */
  EMULATOR_STRIPE_LIMITS: z.enum(['off', 'by-key', 'live']).default('off'),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/).default(LOCAL_EMULATOR_WEBHOOK_SECRET),
  LOG_LEVEL: z.string().default('info'),
});
const parsed = schema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
if (!parsed.success) {
  process.stderr.write(`invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}\n`);
  process.exit(2);
}
const env = parsed.data;
const log = createLogger(env.LOG_LEVEL, 'stripe-emulator');
const emulator = await startEmulator({
  port: env.EMULATOR_PORT,
  host: env.EMULATOR_HOST,
  webhookSecrets: env.STRIPE_WEBHOOK_SECRET.split(','),
  webhookEndpoints: env.EMULATOR_WEBHOOK_URL === undefined ? [] : [env.EMULATOR_WEBHOOK_URL],
  knobs: { latencyMs: env.EMULATOR_LATENCY_MS, stripeLimits: env.EMULATOR_STRIPE_LIMITS },
});
log.info({ url: emulator.url(), webhookEndpoints: emulator.endpoints }, 'stripe emulator listening');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void emulator.app.close().then(() => process.exit(0)));
}
