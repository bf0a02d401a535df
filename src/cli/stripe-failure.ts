import type { Config } from '../config/index.js';
import { localEmulatorUrl, usesLocalEmulator } from '../roles/local-emulator.js';
import { StartError } from '../roles/start-failure.js';
import { isPermanentStripeError } from '../stripe/errors.js';
import { Exit } from './cli-context.js';

/**
 * A Stripe call of a command failed: Stripe refusing the request is the command failing (exit 1, Stripe's
 * message); Stripe, or the local emulator `npm start` runs, not answering is a service unreachable (exit 3,
 * with what to do). Anything else is thrown on as it is.
 */
export function stripeFailure(err: unknown, loaded: Config): Error {
  if (isPermanentStripeError(err)) return new Exit(1, `Stripe refused: ${(err as Error).message}`);
  if ((err as { type?: string }).type === 'StripeConnectionError') {
    const local = usesLocalEmulator(loaded);
    return new StartError({
      code: 'stripe_unreachable',
      variable: local ? 'EMULATOR_PORT' : 'STRIPE_API_BASE',
      cause: local ? `the local Stripe emulator at ${localEmulatorUrl(loaded)} is not running` : 'Stripe did not answer',
      fix: local ? 'start "npm run demo" (or "npm start") first, or set STRIPE_SECRET_KEY to use Stripe' : 'check the network, or unset STRIPE_API_BASE to reach api.stripe.com',
      detail: (err as Error).message,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
