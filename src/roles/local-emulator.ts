import type { Config, StripeReadyConfig } from '../config/index.js';
import { LOCAL_EMULATOR_WEBHOOK_SECRET } from '../emulator/start.js';

/** The key the service uses against the local emulator (it accepts any test key). */
const LOCAL_EMULATOR_SECRET_KEY = 'sk_test_local_emulator';

/**
 * Outside production, with neither STRIPE_SECRET_KEY nor STRIPE_API_BASE set, the service talks to the
 * local Stripe emulator at EMULATOR_PORT: `npm start` runs it there, and the CLI finds it there.
 */
export function usesLocalEmulator(config: Config): boolean {
  return config.nodeEnv !== 'production' && config.stripe.secretKey === undefined && config.stripe.apiBase === undefined;
}

/** The emulator's address as the service reaches it (loopback; it listens only there by default). */
export function localEmulatorUrl(config: Config, port = config.emulatorPort): string {
  return `http://127.0.0.1:${port}`;
}

/** The config with its Stripe settings pointing at the local emulator at `url`. */
export function withLocalEmulator(config: Config, url: string, webhookSecrets: readonly string[] = config.stripe.webhookSecrets ?? [LOCAL_EMULATOR_WEBHOOK_SECRET]): StripeReadyConfig {
  const stripe = { ...config.stripe, secretKey: LOCAL_EMULATOR_SECRET_KEY, apiBase: new URL(url), webhookSecrets: Object.freeze([...webhookSecrets]), livemode: false };
  return Object.freeze({ ...config, stripe: Object.freeze(stripe) });
}
