import type { Logger } from 'pino';
import { ConfigError, loadConfig, requireStripe, type Config, type StripeReadyConfig } from './config.js';

/** Parses the environment, or stops the process with one line naming what is wrong. */
export function loadConfigOrExit(env?: NodeJS.ProcessEnv): Config;
export function loadConfigOrExit(env: NodeJS.ProcessEnv, opts: { stripe: true }): StripeReadyConfig;
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, opts?: { stripe: true }): Config {
  try {
    const config = loadConfig(env);
    return opts?.stripe === true ? requireStripe(config) : config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits; a second signal or the deadline forces the exit,
 * so an orchestrator never has to SIGKILL a process that is stuck closing.
 */
export function onShutdown(log: Logger, deadlineMs: number, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, 'shutting down');
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
  // Started by `npm start` (forked with IPC): the parent going away means shut down too.
  if (process.send !== undefined) process.once('disconnect', () => handler('SIGTERM'));
}
