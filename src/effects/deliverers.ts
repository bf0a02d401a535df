import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createCallbackDeliverer } from './callback-deliverer.js';
import type { EffectDeliverer } from './effect.js';
import { createEmailDeliverer } from './email-deliverer.js';

/** Any kind's deliverer: the dispatcher hands each the payload its kind's handler wrote. */
export type AnyDeliverer = EffectDeliverer<unknown>;

/**
 * The deliverers of this process, by effect kind, from the configuration. A kind without one is off:
 * its effects are recorded `skipped` (code `kind_off`) when they come up, and the worker says so at
 * start. `extra` registers more kinds (a merchant's own, or a test's), through the same path.
 */
export function deliverersFromConfig(
  effects: Config['effects'],
  opts: { log: Logger; publicUrl?: string; attemptTimeoutMs: number; extra?: readonly AnyDeliverer[] },
): ReadonlyMap<string, AnyDeliverer> {
  const list: AnyDeliverer[] = [];
  if (effects.smtpUrl !== undefined) {
    list.push(
      createEmailDeliverer({
        smtpUrl: effects.smtpUrl,
        from: effects.mailFrom,
        log: opts.log,
        ...(opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl }),
        timeoutMs: Math.min(30_000, opts.attemptTimeoutMs),
      }),
    );
  }
  if (effects.callbackUrls.length > 0) {
    list.push(createCallbackDeliverer({ secrets: effects.callbackSecrets, log: opts.log, timeoutMs: Math.min(10_000, opts.attemptTimeoutMs) }));
  }
  const byKind = new Map<string, AnyDeliverer>();
  for (const d of [...list, ...(opts.extra ?? [])]) byKind.set(d.kind, d);
  return byKind;
}

/** What the worker logs at start: which built-in kinds are off, and why. */
export function offKinds(effects: Config['effects'], deliverers: ReadonlyMap<string, AnyDeliverer>): Record<string, string> {
  const off: Record<string, string> = {};
  if (!deliverers.has('email')) off.email = 'SMTP_URL is not set: receipt emails are recorded as skipped';
  if (!deliverers.has('callback') && effects.callbackUrls.length === 0) off.callback = 'CALLBACK_URLS is not set: no callbacks';
  return off;
}
