import { z } from 'zod';
import { commaList, duration, int } from './values.js';

/** External effects (transactional outbox): receipt emails, signed callbacks, and how delivery retries. */
export const effectsVariables = {
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587' })
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).regex(/^[^\r\n]+$/, 'one line, e.g. "Shop <orders@example.com>"').optional(),
  CALLBACK_URLS: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(
          z
            .url({ protocol: /^https?$/, error: 'each entry must be an http(s) URL' })
            // The HTTP client would drop them silently: the receiver authenticates the signature instead.
            .refine((u) => !/^https?:\/\/[^/?#]*@/i.test(u), 'no user:password@ in a callback URL (it would not be sent): receivers verify CALLBACK_SECRET\'s signature'),
        )
        .min(1),
    )
    .optional(),
  CALLBACK_SECRET: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(z.string().regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, 'each secret must be whsec_ followed by base64 (at least 16 bytes)'))
        .min(1, 'at least one whsec_… secret is required'),
    )
    .optional(),
  EFFECT_BACKOFF_MS: int(1, 3_600_000).default(1000),
  EFFECT_RETRY_HORIZON: duration.default(72 * 3_600_000),
  EFFECT_TIMEOUT_MS: int(1000, 600_000).default(35_000),
  EFFECT_CONCURRENCY: int(1, 1000).default(50),
};

export interface EffectsConfig {
  /** Undefined: the `email` kind is off (said at start). */
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  /** Empty: no callbacks. */
  readonly callbackUrls: readonly string[];
  /** Standard Webhooks signing secrets (`whsec_<base64>`); every one signs each callback (rotation). */
  readonly callbackSecrets: readonly string[];
  /** First retry delay; exponential with jitter after that. */
  readonly backoffMs: number;
  /** After this long since the effect was recorded, a failing effect goes `dead`. */
  readonly retryHorizonMs: number;
  /** One delivery attempt ends by then, whatever the receiver does (EFFECT_TIMEOUT_MS). */
  readonly attemptTimeoutMs: number;
  /** Effect jobs in flight per worker process (EFFECT_CONCURRENCY): one effect's attempt, or a run's new effects together. */
  readonly concurrency: number;
}

export function effectsConfig(e: z.infer<z.ZodObject<typeof effectsVariables>>): EffectsConfig {
  return {
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? 'Orders <orders@localhost>',
    callbackUrls: e.CALLBACK_URLS ?? [],
    callbackSecrets: e.CALLBACK_SECRET ?? [],
    backoffMs: e.EFFECT_BACKOFF_MS,
    retryHorizonMs: e.EFFECT_RETRY_HORIZON,
    attemptTimeoutMs: e.EFFECT_TIMEOUT_MS,
    concurrency: e.EFFECT_CONCURRENCY,
  };
}
