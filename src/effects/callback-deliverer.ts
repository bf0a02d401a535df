import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { callbackPayloadBody } from './callback-body.js';
import { classifyRequestError, readAtMost, retryAfterMs } from './http-response.js';
import { callbackKind, type CallbackEffectPayload, type DeliveryResult, type EffectDeliverer, type EffectRecord } from './effect.js';

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
/** The most of a 2xx body drained (in the background) to keep the connection; a longer one is cut. */
const DRAIN_BYTES = 4096;
/** Sockets kept or opened to one receiver (scheme, host, port) at most; further attempts wait their turn. */
const CONNECTIONS_PER_ORIGIN = 50;
/** A webhook-id travels in a header: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]{1,255}$/;

/**
 * The built-in kind `callback`: a POST of the order to the merchant's URL, signed per the Standard
 * Webhooks specification (https://www.standardwebhooks.com/) with the reference `standardwebhooks`
 * library. `webhook-id` is the effect's idempotency key, the same on every retry, so the receiver can
 * drop a duplicate. Redirects are not followed (a signed body must not be replayed to another host), and
 * no more than a few hundred bytes of any response are read, so a slow or flooding receiver costs at most
 * `timeoutMs` and a little memory.
 *
 * Requests go through undici's `request` on one keep-alive `Agent` per deliverer (a fraction of `fetch`'s
 * CPU per request), HTTP/1.1 as Node's fetch speaks it, at most CONNECTIONS_PER_ORIGIN sockets to one
 * receiver; `close()` ends them.
 */
export function createCallbackDeliverer(opts: CallbackDelivererOptions): EffectDeliverer<CallbackEffectPayload> {
  if (opts.secrets.length === 0) throw new Error('createCallbackDeliverer: at least one whsec_ secret is required');
  const signers = opts.secrets.map((s) => new Webhook(s));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 3_600_000;
  // undici's own timers are no longer than the attempt; the attempt's signal is the bound that counts.
  const agent = new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs },
    allowH2: false,
  });
  /** Aborted by close(): ends the background drains of 2xx bodies, so the agent closes at once. */
  const closing = new AbortController();

  return {
    kind: callbackKind.name,
    async deliver(effect: EffectRecord<CallbackEffectPayload>, signal: AbortSignal): Promise<DeliveryResult> {
      if (!HEADER_SAFE.test(effect.idempotencyKey)) {
        return { outcome: 'permanent', code: 'callback_id_invalid', reason: 'the idempotency key cannot be a webhook-id header' };
      }
      const body = callbackPayloadBody(effect.payload);
      const now = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': opts.userAgent ?? 'stripe-checkout-fulfillment',
        'webhook-id': effect.idempotencyKey,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signers.map((w) => w.sign(effect.idempotencyKey, now, body)).join(' '),
      };
      const timeout = AbortSignal.timeout(timeoutMs);
      const result = await attempt(effect.payload.url, body, headers, AbortSignal.any([signal, timeout, closing.signal])).catch((err: unknown) =>
        classifyRequestError(err, { timedOut: timeout.aborted, aborted: signal.aborted || closing.signal.aborted }),
      );
      if (result.outcome !== 'delivered') {
        opts.log.warn({ effectId: effect.id, sessionId: effect.sessionId, code: result.code, outcome: result.outcome }, 'callback not delivered');
      }
      return result;
    },
    async close() {
      closing.abort();
      await agent.close();
    },
  };

  async function attempt(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<DeliveryResult> {
    // undici's request follows no redirect (no redirect interceptor on this agent).
    const res = await request(url, { method: 'POST', body, headers, signal, dispatcher: agent });
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      // The status is the answer: not waited for, the body is drained in the background (up to DRAIN_BYTES,
      // within the attempt's signal) so a short "ok" leaves the connection for the next callback; a longer
      // or endless one is cut.
      res.body.dump({ limit: DRAIN_BYTES, signal }).catch(() => undefined);
      return { outcome: 'delivered', detail: `HTTP ${status}` };
    }
    const said = await readAtMost(res.body, DIAGNOSTIC_BYTES);
    const reason = `HTTP ${status}${said === '' ? '' : `: ${said}`}`;
    if (status === 410) return { outcome: 'disabled', code: 'callback_gone', reason };
    if (status >= 300 && status < 400) {
      return { outcome: 'retry', code: 'callback_redirect', reason: `${reason} (redirects are not followed; fix the URL)` };
    }
    const wait = retryAfterMs(res.headers['retry-after'], maxRetryAfterMs);
    const code = status >= 500 ? 'callback_server_error' : 'callback_rejected';
    return { outcome: 'retry', code, reason, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  }
}
