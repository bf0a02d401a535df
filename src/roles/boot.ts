import type { Logger } from 'pino';
import { ConfigError, loadConfig, requireStripe, type Config, type StripeReadyConfig } from '../config/index.js';
import { createLogger, prettyFor } from '../logger.js';
import { startTracing, stopTracing } from '../observability/tracing.js';
import type { RoleProcess } from './role-process.js';
import { StartError } from './start-failure.js';

/**
 * Runs one process role from an entry point: parse the environment, build the role, start it, and stop it
 * gracefully on SIGTERM/SIGINT. Any start failure is one log line with a stable `code`, the variable to
 * look at and the fix, then a non-zero exit (2: configuration, 1: a dependency or a port).
 */
export async function runRole(service: string, build: (config: Config) => RoleProcess | Promise<RoleProcess>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return failStart(createLogger('info', service, { pretty: prettyFor(env.NODE_ENV ?? 'development') }), err);
  }
  const log = createLogger(config.logLevel, service, { pretty: prettyFor(config.nodeEnv) });
  let role: RoleProcess;
  try {
    // Before the role is built: its queues, loggers and Fastify instance pick tracing up as they are made.
    await startTracing(config.tracing, service);
    role = await build(config);
  } catch (err) {
    return failStart(log, err);
  }
  const starting = role.start();
  onShutdown(log, config.shutdownTimeoutMs, async () => {
    // A signal during start-up: let the start finish (or fail) first, then stop what did start.
    await starting.catch(() => undefined);
    await role.stop();
    // Last: the spans of the drain are flushed too.
    await stopTracing().catch((err: unknown) => log.warn({ err }, 'tracing flush failed'));
  });
  try {
    await starting;
  } catch (err) {
    failStart(log, err);
  }
}

/** Parses the environment, or stops the process with one line naming what is wrong (scripts that are no role). */
export function loadConfigOrExit(env?: NodeJS.ProcessEnv): Config;
export function loadConfigOrExit(env: NodeJS.ProcessEnv, opts: { stripe: true }): StripeReadyConfig;
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, opts?: { stripe: true }): Config {
  try {
    const config = loadConfig(env);
    return opts?.stripe === true ? requireStripe(config) : config;
  } catch (err) {
    return failStart(createLogger('info', 'fulfillment', { pretty: prettyFor(env.NODE_ENV ?? 'development') }), err);
  }
}

/** Logs why the process cannot start, as one line, and exits. */
export function failStart(log: Logger, err: unknown): never {
  if (err instanceof ConfigError) {
    log.fatal({ code: err.code, variables: err.variables, fix: 'set these variables as the configuration table in README.md says' }, err.message);
    process.exit(2);
  }
  if (err instanceof StartError) {
    const { cause, ...fields } = err.failure;
    log.fatal(fields, cause);
    process.exit(1);
  }
  log.fatal({ code: 'start_failed', detail: err instanceof Error ? err.message : String(err) }, 'could not start');
  process.exit(1);
}

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits 0 (1 if closing failed or the deadline passed).
 * Repeated signals are expected and ignored: a process group signal reaches npm too, which forwards it
 * again, and a terminal's Ctrl-C does the same. Only the deadline cuts a drain short.
 */
function onShutdown(log: Logger, deadlineMs: number, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    closing = true;
    log.info({ signal, deadlineMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    close().then(
      () => {
        log.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
