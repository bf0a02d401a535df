import type { Server, ServerOptions } from 'node:http';
import { ConnectionGuard, idleLimitMs } from './connection-guard.js';

/**
 * How long a client may take to send a request, on every listener the project has (the api, the worker's
 * HTTP port, the emulator, the demo mailbox). Without them one address held 19,972 connections open by
 * sending a promised megabyte one byte every 5 s (issue 23): Fastify's `requestTimeout` defaults to 0, which
 * turns off even Node's own 300 s.
 */
export interface ListenerLimits {
  /** From connecting (or the previous response) to the end of the request's headers (HTTP_HEADERS_TIMEOUT_MS). */
  readonly headersTimeoutMs: number;
  /** From connecting to the last byte of the request's body (HTTP_REQUEST_TIMEOUT_MS); the answer is a 408 and a close. */
  readonly requestTimeoutMs: number;
  /** How long a kept-alive connection may sit idle between requests (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs: number;
}

/**
 * The defaults, chosen so that a signed 1 MB webhook from Stripe meets them easily: 1 MB in 30 s is 35 KB/s,
 * a rate Stripe's senders exceed by orders of magnitude. The keep-alive idle time stays above the 60 s idle
 * timeout of common load balancers (AWS ALB), so a balancer never reuses a connection the api just closed.
 */
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = Object.freeze({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 });

/**
 * Fastify's server options for these limits. Node checks the header and request deadlines on a timer
 * (`connectionsCheckingInterval`, 30 s by default, which would let a deadline slip by that much): check a
 * tenth as often as the headers deadline, between 100 ms and 1 s.
 */
export function listenerOptions(limits: ListenerLimits): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 10))),
    },
  };
}

/** The idle limit Node does not keep on a kept-alive connection (see `idleLimitMs`), for listeners with no connection cap. */
export function guardIdle(server: Server, limits: ListenerLimits): void {
  new ConnectionGuard(server, { maxPerClient: 0, exempt: () => true, idleLimitMs: idleLimitMs(limits) });
}
