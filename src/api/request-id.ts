import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Long enough for a UUID, a ULID or a load balancer's trace id; short enough for a log line. */
const PLAIN_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request id every log line of a request carries (`reqId`): the caller's `x-request-id` when it is
 * short and plain, so a proxy's id links its logs to ours; otherwise a fresh UUID. A client must not
 * choose what goes into our logs beyond that (an 8 KB header once made an 8 KB log line).
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && PLAIN_ID.test(given) ? given : randomUUID();
}
