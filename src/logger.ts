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

export function createLogger(level: string, service: string): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
