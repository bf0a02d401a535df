import { pino, type Logger } from 'pino';

/**
 * One JSON line per event. Identifiers travel as fields (`sessionId`, `eventId`, `jobId`), never in the
 * message. Anything that can carry a secret is redacted by path.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
  'stripeSecretKey',
  'webhookSecrets',
  'config.stripe.secretKey',
  'config.stripe.webhookSecrets',
];

/** Customer personal data, kept out of logs unless LOG_PII=true. */
export const PII_PATHS = ['customerEmail', 'customerName', '*.customerEmail', '*.customerName'];

export function createLogger(level: string, service: string, opts: { pii?: boolean } = {}): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: [...REDACT_PATHS, ...(opts.pii === true ? [] : PII_PATHS)], censor: '[redacted]' },
  });
}
