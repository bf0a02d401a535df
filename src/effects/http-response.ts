import { storableReply } from '../domain/receiver-reply.js';
import type { DeliveryResult } from './effect.js';

type Failure = Exclude<DeliveryResult, { outcome: 'delivered' }>;

/** A response body as undici's `request` gives it: a Readable, read by async iteration, destroyable. */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  destroy(): unknown;
}

/**
 * Reads at most `limit` bytes of a response body as printable text, then destroys the rest unread (the
 * connection is dropped rather than drained): a receiver answering with gigabytes costs `limit` bytes of
 * memory, never more. A body that breaks off or times out gives what had come so far.
 */
export async function readAtMost(body: ResponseBody, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Leaving the loop early (break, or the body erroring) destroys the stream.
    for await (const chunk of body) {
      chunks.push(chunk.subarray(0, limit - size));
      size += Math.min(chunk.byteLength, limit - size);
      if (size >= limit) break;
    }
  } catch {
    // A body that breaks off or times out still leaves the status to go by.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | readonly string[] | undefined, maxMs: number): number | undefined {
  // undici gives a repeated header as an array: the first one counts.
  const value = typeof header === 'string' ? header : header?.[0];
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - Date.now();
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), maxMs);
}

/** The string `code` of an error (undici's `UND_ERR_*`, Node's `ECONNREFUSED`, the parser's `HPE_*`), if any. */
function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * What an HTTP request threw, as a retry with a stable code. undici's `request` throws the socket-level
 * error itself; a wrapper (fetch, a caller's own) may carry it in `cause`: both are read.
 */
export function classifyRequestError(err: unknown, ctx: { timedOut: boolean; aborted: boolean }): Failure {
  if (ctx.timedOut) return { outcome: 'retry', code: 'callback_timeout', reason: 'no complete answer in time' };
  if (ctx.aborted) return { outcome: 'retry', code: 'callback_aborted', reason: 'the attempt was cancelled (shutting down)' };
  const cause = err instanceof Error ? err.cause : undefined;
  const code = codeOf(err) ?? codeOf(cause);
  const inner = codeOf(err) === undefined && cause instanceof Error ? cause : err;
  const message = inner instanceof Error ? inner.message : String(inner);
  const reason = storableReply(`${code === undefined ? '' : `${code}: `}${message}`, 300);
  // undici's own timers (headersTimeout, bodyTimeout) are set no longer than the attempt: the same limit.
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { outcome: 'retry', code: 'callback_timeout', reason: `no complete answer in time (${reason})` };
  }
  // undici's parser errors carry their kind in the name (`code` is often unset).
  const parserError = (err instanceof Error && err.name === 'HTTPParserError') || (cause instanceof Error && cause.name === 'HTTPParserError');
  if (parserError || code?.startsWith('HPE_') === true || code === 'UND_ERR_HEADERS_OVERFLOW') {
    return { outcome: 'retry', code: 'callback_bad_response', reason };
  }
  return { outcome: 'retry', code: 'callback_unreachable', reason };
}
