import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Open connections one client may hold; 0: no cap. */
  readonly maxPerClient: number;
  /** The client a peer address counts for (the api's: an IPv4 address, an IPv6 /64); the address itself by default. */
  readonly clientOf?: (address: string) => string;
  /** Peers that carry many clients' connections (the trusted proxies): never capped. */
  readonly exempt: (address: string) => boolean;
  /** Called for each connection refused over the cap. */
  readonly onRefused?: (client: string) => void;
  /** A connection with no request in progress for this long is closed (see `idleLimitMs`). */
  readonly idleLimitMs?: number;
}

/**
 * The longest a connection may go without a request in progress: idle up to the keep-alive timeout, then a
 * request whose headers take up to the headers timeout. Node enforces neither on a kept-alive connection that
 * trickles bare CR/LF bytes between requests (its parser skips them, and each byte restarts the idle timer):
 * found by test/fuzz/slow-requests.fuzz.test.ts, such a connection stayed open for as long as it dripped.
 */
export function idleLimitMs(limits: { readonly headersTimeoutMs: number; readonly keepAliveTimeoutMs: number }): number {
  return limits.headersTimeoutMs + limits.keepAliveTimeoutMs;
}

/** What a connection is doing: waiting for (or receiving) a request, or holding one whose body has arrived. */
interface ConnectionState {
  request: IncomingMessage | undefined;
  /** When the connection last started waiting for a request or received one's headers. */
  since: number;
}

/**
 * A listener's connections, for three jobs Node's server does not do (the api uses all three; the worker's
 * HTTP port, the emulator and the demo mailbox only the idle limit, through `guardIdle`):
 * - a per-client cap on open connections: one address held 19,972 trickling connections and the api ran out
 *   of file descriptors (issue 23). The timeouts bound how long each is held; the cap bounds how many. Refused
 *   connections are destroyed at once, before a byte is read.
 * - a drain that does not wait for strangers: on SIGTERM Fastify's close waits for every request in flight,
 *   including one whose body trickles in forever. `closeUnfinished` closes the connections that have no request
 *   whose body has fully arrived; Stripe retries a delivery that got no answer.
 * - an idle limit Node does not keep on its own (`idleLimitMs`), swept about once a second.
 * Hand-written: the per-address count is a few lines over Node's `connection` event, and no maintained
 * Fastify plugin caps connections per address.
 */
export class ConnectionGuard {
  private readonly perClient = new Map<string, number>();
  private readonly connections = new Map<Socket, ConnectionState>();

  constructor(server: Server, private readonly opts: ConnectionGuardOptions) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    const idle = opts.idleLimitMs;
    if (idle !== undefined) {
      const sweep = setInterval(() => this.closeIdle(idle), Math.min(1000, Math.max(100, Math.floor(idle / 10))));
      sweep.unref();
      server.once('close', () => clearInterval(sweep));
    }
    server.on('request', (request: IncomingMessage, response: { once(event: 'close', listener: () => void): unknown }) => {
      const state = this.connections.get(request.socket);
      if (state === undefined) return;
      state.request = request;
      state.since = Date.now();
      response.once('close', () => {
        if (state.request === request) state.request = undefined;
        state.since = Date.now();
      });
    });
  }

  /** Open connections per client, for tests and metrics. */
  openFor(address: string): number {
    return this.perClient.get(this.clientOf(address)) ?? 0;
  }

  /**
   * Destroys every connection that is not handling a fully received request and has been so for at least
   * `graceMs`: idle kept-alive ones, ones still sending headers, ones still sending a body. Returns how many.
   */
  closeUnfinished(graceMs: number): number {
    const now = Date.now();
    let closed = 0;
    for (const [socket, state] of this.connections) {
      const handling = state.request?.complete === true;
      if (!handling && now - state.since >= graceMs) {
        socket.destroy();
        closed++;
      }
    }
    return closed;
  }

  /** Destroys the connections with no request in progress for at least `limitMs`; a request's body is Node's requestTimeout's. */
  private closeIdle(limitMs: number): void {
    const now = Date.now();
    for (const [socket, state] of this.connections) if (state.request === undefined && now - state.since >= limitMs) socket.destroy();
  }

  private clientOf(address: string): string {
    return this.opts.clientOf === undefined ? address : this.opts.clientOf(address);
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    const state: ConnectionState = { request: undefined, since: Date.now() };
    if (this.opts.maxPerClient === 0 || this.opts.exempt(address)) {
      this.connections.set(socket, state);
      socket.once('close', () => this.connections.delete(socket));
      return;
    }
    const key = this.clientOf(address);
    const open = this.perClient.get(key) ?? 0;
    if (open >= this.opts.maxPerClient) {
      socket.destroy();
      this.opts.onRefused?.(key);
      return;
    }
    this.perClient.set(key, open + 1);
    this.connections.set(socket, state);
    socket.once('close', () => {
      this.connections.delete(socket);
      const left = (this.perClient.get(key) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(key);
      else this.perClient.set(key, left);
    });
  }
}
