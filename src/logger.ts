import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * One JSON line per event. Identifiers travel as fields (`sessionId`, `eventId`, `jobId`), never in the
 * message. Anything that can carry a secret is redacted by path.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
  'stripeSecretKey',
  'webhookSecrets',
  'config.stripe.secretKey',
  'config.stripe.webhookSecrets',
];

/**
 * Customer personal data, kept out of logs unless LOG_PII=true. Top-level fields only, which is where the
 * service logs them (the worker's run line): a wildcard path (`*.customerEmail`) makes pino's redaction (@pinojs/redact) walk
 * every field of every line, 8-9 µs a line on this machine, about a sixth of what the api spends over the
 * baseline on a webhook (docs/benchmarks.md).
 */
const PII_PATHS = ['customerEmail', 'customerName'];

export interface LoggerOptions {
  /** Keep customer email and name (LOG_PII=true). */
  readonly pii?: boolean;
  /** Human-readable lines (pino-pretty) instead of JSON; see `prettyFor`. */
  readonly pretty?: boolean;
  /** pino's `mixin`: fields added to every line (tracing's `trace_id` and `span_id`, observability/tracing.ts). */
  readonly mixin?: (() => Record<string, string>) | undefined;
}

/**
 * Whether a process logs for a person: outside production, with stdout a terminal. Everywhere else
 * (production, pipes, files, log shippers, tests) the lines stay JSON.
 */
export function prettyFor(nodeEnv: string): boolean {
  return nodeEnv !== 'production' && process.stdout.isTTY === true;
}

export function createLogger(level: string, service: string, opts: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: [...REDACT_PATHS, ...(opts.pii === true ? [] : PII_PATHS)], censor: '[redacted]' },
    // Only when given: off, pino calls no function per line.
    ...(opts.mixin === undefined ? {} : { mixin: opts.mixin }),
  };
  // In this thread and synchronous (not a transport worker): a line logged just before process.exit,
  // such as a start failure, is never lost.
  return opts.pretty === true ? pino(options, pretty({ sync: true, singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })) : pino(options);
}
