import type Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import type { Emulator } from '../../src/emulator/server.js';
import { startEmulator } from '../../src/emulator/start.js';
import { createStripeClient } from '../../src/stripe/client.js';

/** The emulator and the service's own Stripe client on it (the real SDK over HTTP), for one file's tests. */
export interface EmulatorWithClient {
  readonly emulator: Emulator;
  readonly stripe: Stripe;
}

/** Starts them before the file's tests and closes the emulator after; read the fields inside tests. */
export function emulatorWithClient(): EmulatorWithClient {
  const ctx = {} as { emulator: Emulator; stripe: Stripe };
  beforeAll(async () => {
    ctx.emulator = await startEmulator({ webhookSecrets: ['whsec_emulator_test_0123456789'] });
    ctx.stripe = createStripeClient({ secretKey: 'sk_test_emulator', apiBase: new URL(ctx.emulator.url()), maxNetworkRetries: 0 });
  });
  afterAll(async () => ctx.emulator.app.close());
  return ctx;
}
