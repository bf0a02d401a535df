import { randomUUID } from 'node:crypto';

/**
 * The request id every log line of a request carries (`reqId`), returned as the `x-request-id` response
 * header so that a customer or a proxy can quote it. Always our own UUID, never the caller's `x-request-id`:
 * a caller that picks its id can give many requests the same one, or reuse another request's, and make the
 * logs say two requests were one (issue 23). A proxy that wants to link its logs to ours reads the header
 * we send back.
 */
export function requestId(): string {
  return randomUUID();
}
