import type { DeliveryResult } from './effect.js';

type Failure = Exclude<DeliveryResult, { outcome: 'delivered' }>;

/**
 * Reads at most `limit` bytes of a response body as printable text, then cancels the rest: a receiver
 * answering with gigabytes costs `limit` bytes of memory, never more.
 */
export async function readAtMost(res: Response, limit: number): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, limit - size));
      size += Math.min(value.byteLength, limit - size);
    }
  } catch {
    // A body that breaks off or times out still leaves the status to go by.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, maxMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - Date.now();
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), maxMs);
}

/** What `fetch` threw, as a retry with a stable code (undici puts the socket-level error in `cause`). */
export function classifyFetchError(err: unknown, ctx: { timedOut: boolean; aborted: boolean }): Failure {
  if (ctx.timedOut) return { outcome: 'retry', code: 'callback_timeout', reason: 'no complete answer in time' };
  if (ctx.aborted) return { outcome: 'retry', code: 'callback_aborted', reason: 'the attempt was cancelled (shutting down)' };
  const cause = err instanceof Error ? err.cause : undefined;
  const causeCode = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  const reason = `${causeCode === undefined ? '' : `${causeCode}: `}${message}`.slice(0, 300);
  // undici's parser errors carry their kind in the name (`code` is often unset).
  const parserError = cause instanceof Error && cause.name === 'HTTPParserError';
  if (parserError || causeCode?.startsWith('HPE_') === true || causeCode === 'UND_ERR_HEADERS_OVERFLOW') {
    return { outcome: 'retry', code: 'callback_bad_response', reason };
  }
  return { outcome: 'retry', code: 'callback_unreachable', reason };
}
