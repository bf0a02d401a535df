import { z } from 'zod';
import { afterSaleConfig, afterSaleVariables, type AfterSaleConfig } from './after-sale.js';
import { effectsConfig, effectsVariables, type EffectsConfig } from './effects.js';
import { httpConfig, httpVariables, landingConfig, type HttpConfig, type LandingConfig } from './http.js';
import { opsConfig, opsVariables, type OpsConfig } from './ops.js';
import { processConfig, processVariables, type ProcessConfig } from './process.js';
import { missingStripeKeys, stripeConfig, stripeVariables, type StripeConfig, type StripeReady } from './stripe.js';
import { ConfigError } from './values.js';
import { tracingConfig, tracingVariables, type TracingConfig } from './tracing.js';
import { workerConfig, workerVariables, type QueueConfig, type ReconcileConfig, type WorkerConfig } from './worker.js';

/**
 * Configuration, parsed once from the environment at start-up, frozen and passed down. No other module
 * reads `process.env`. The variable names are a public contract (README); each concern's file declares its
 * own variables and what they become.
 */
export { ConfigError } from './values.js';
export { parseDuration } from './values.js';
export type { TracingConfig } from './tracing.js';

const schema = z.object({ ...processVariables, ...stripeVariables, ...httpVariables, ...workerVariables, ...opsVariables, ...effectsVariables, ...tracingVariables, ...afterSaleVariables });

export interface Config extends ProcessConfig {
  readonly stripe: StripeConfig;
  readonly http: HttpConfig;
  readonly worker: WorkerConfig;
  readonly queue: QueueConfig;
  readonly landing: LandingConfig;
  readonly ops: OpsConfig;
  readonly effects: EffectsConfig;
  readonly reconcile: ReconcileConfig;
  /** OpenTelemetry tracing (the standard OTEL_* variables); undefined: off, no SDK loaded. */
  readonly tracing: TracingConfig | undefined;
  readonly afterSale: AfterSaleConfig;
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // Empty strings count as unset, as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${String(i.path[0])}: ${i.message}${i.path.length > 1 ? ` (entry ${Number(i.path[1]) + 1})` : ''}`,
    );
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`, [...new Set(parsed.error.issues.map((i) => String(i.path[0])))]);
  }
  const e = parsed.data;
  checkTogether(e);
  const stripe = stripeConfig(e);
  return deepFreeze({
    ...processConfig(e),
    stripe,
    http: httpConfig(e),
    ...workerConfig(e),
    landing: landingConfig(e, Math.min(stripe.maxRps, stripe.endpointMaxRps)),
    ops: opsConfig(e),
    effects: effectsConfig(e),
    tracing: tracingConfig(e),
    afterSale: afterSaleConfig(e),
  });
}

/** The rules that span variables: pairs set together, and what production requires. */
function checkTogether(e: z.infer<typeof schema>): void {
  if ((e.ADMIN_USERNAME === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('invalid configuration: ADMIN_USERNAME and ADMIN_PASSWORD: set both or neither', ['ADMIN_USERNAME', 'ADMIN_PASSWORD']);
  }
  if (e.CALLBACK_URLS !== undefined && e.CALLBACK_SECRET === undefined) {
    throw new ConfigError('invalid configuration: CALLBACK_SECRET: required when CALLBACK_URLS is set (whsec_…)', ['CALLBACK_SECRET']);
  }
  if (e.NODE_ENV === 'production') {
    // METRICS_TOKEN too: without it /metrics (queue depths, session counts) is public on the api's port.
    const missing = (['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'METRICS_TOKEN'] as const).filter((k) => e[k] === undefined);
    if (missing.length > 0) {
      const why = (k: string) => (k === 'METRICS_TOKEN' ? ' (at least 16 characters; /metrics would be public without it)' : '');
      throw new ConfigError(`invalid configuration: ${missing.map((k) => `${k}: required in production${why(k)}`).join('; ')}`, missing);
    }
  }
}

/** Config with Stripe settings guaranteed, as the api and worker need them. */
export interface StripeReadyConfig extends Config {
  readonly stripe: StripeReady;
}

export function requireStripe(config: Config, fix = 'or run "npm start" to use the local emulator'): StripeReadyConfig {
  missingStripeKeys(config.stripe, fix);
  return config as StripeReadyConfig;
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object' && !(v instanceof URL)) deepFreeze(v);
  return Object.freeze(o);
}
