import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { callbackBody } from './callback-body.js';
import { classifyFetchError, readAtMost, retryAfterMs } from './http-response.js';
import type { CallbackEffectPayload, DeliveryResult, EffectDeliverer, EffectRecord } from './effect.js';

export interface CallbackDelivererOptions {
  /** `whsec_<base64>` secrets (CALLBACK_SECRET); each one signs every request, for rotation. */
  readonly secrets: readonly string[];
  readonly log: Logger;
  /** Whole attempt, response headers and the bit of body we read included; default 10 s. */
  readonly timeoutMs?: number;
  /** Longest Retry-After honoured; a larger one is cut to this. Default 1 h. */
  readonly maxRetryAfterMs?: number;
  readonly userAgent?: string;
}

/** The most of an error response kept for the operator (the rest is never read). */
const DIAGNOSTIC_BYTES = 512;
/** A webhook-id travels in a header: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]{1,255}$/;

/**
 * The built-in kind `callback`: a POST of the order to the merchant's URL, signed per the Standard
 * Webhooks specification (https://www.standardwebhooks.com/) with the reference `standardwebhooks`
 * library. `webhook-id` is the effect's idempotency key, the same on every retry, so the receiver can
 * drop a duplicate. Redirects are not followed (a signed body must not be replayed to another host), and
 * no more than a few hundred bytes of any response are read, so a slow or flooding receiver costs at most
 * `timeoutMs` and a little memory.
 */
export function createCallbackDeliverer(opts: CallbackDelivererOptions): EffectDeliverer<CallbackEffectPayload> {
  if (opts.secrets.length === 0) throw new Error('createCallbackDeliverer: at least one whsec_ secret is required');
  const signers = opts.secrets.map((s) => new Webhook(s));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 3_600_000;

  return {
    kind: 'callback',
    async deliver(effect: EffectRecord<CallbackEffectPayload>, signal: AbortSignal): Promise<DeliveryResult> {
      if (!HEADER_SAFE.test(effect.idempotencyKey)) {
        return { outcome: 'permanent', code: 'callback_id_invalid', reason: 'the idempotency key cannot be a webhook-id header' };
      }
      const body = callbackBody(effect.payload.order);
      const now = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': opts.userAgent ?? 'stripe-checkout-fulfillment',
        'webhook-id': effect.idempotencyKey,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signers.map((w) => w.sign(effect.idempotencyKey, now, body)).join(' '),
      };
      const timeout = AbortSignal.timeout(timeoutMs);
      const result = await attempt(effect.payload.url, body, headers, AbortSignal.any([signal, timeout])).catch((err: unknown) =>
        classifyFetchError(err, { timedOut: timeout.aborted, aborted: signal.aborted }),
      );
      if (result.outcome !== 'delivered') {
        opts.log.warn({ effectId: effect.id, sessionId: effect.sessionId, code: result.code, outcome: result.outcome }, 'callback not delivered');
      }
      return result;
    },
  };

  async function attempt(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<DeliveryResult> {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal });
    const status = res.status;
    if (status >= 200 && status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { outcome: 'delivered', detail: `HTTP ${status}` };
    }
    const said = await readAtMost(res, DIAGNOSTIC_BYTES);
    const reason = `HTTP ${status}${said === '' ? '' : `: ${said}`}`;
    if (status === 410) return { outcome: 'disabled', code: 'callback_gone', reason };
    if (status >= 300 && status < 400) {
      return { outcome: 'retry', code: 'callback_redirect', reason: `${reason} (redirects are not followed; fix the URL)` };
    }
    const wait = retryAfterMs(res.headers.get('retry-after'), maxRetryAfterMs);
    const code = status >= 500 ? 'callback_server_error' : 'callback_rejected';
    return { outcome: 'retry', code, reason, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  }
}
