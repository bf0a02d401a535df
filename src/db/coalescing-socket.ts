import { Socket } from 'node:net';

/** What postgres.js passes to its `socket` option (the parsed connection options). */
interface SocketOptions {
  readonly host: readonly string[];
  readonly port: readonly number[];
}

/** postgres.js writes a message batch at once from this size on (src/connection.js), smaller ones at setImmediate. */
const FLUSHES_AT_ONCE = 1024;

/**
 * The socket of one postgres.js connection, with its large writes held until the end of the event-loop
 * turn and sent together with what follows them (one `writev`). postgres.js sends each statement of 1 KiB
 * or more in a write of its own and collects the smaller ones until setImmediate; a run's transaction
 * sends its line items (~1.2 KiB), its outbox effects (~1.3 KiB), then COMMIT: three writes, at ~130 µs of
 * worker CPU each on the end-to-end bench (a loopback write also wakes Postgres, and Postgres reads each).
 * Here they leave in one, in the same turn, in the same order.
 *
 * The hold ends in a setImmediate queued from a nextTick, so after the setImmediate in which postgres.js
 * writes the small statements sent in the same turn (COMMIT among them). Only writes of FLUSHES_AT_ONCE or
 * more start a hold: postgres.js's own setImmediate flushes never wait another turn.
 *
 * Returned unconnected and connecting, as postgres.js's own socket would be (connect_timeout still applies).
 */
export function coalescingSocket(options: SocketOptions): Socket {
  const socket = new Socket();
  let holding = false;
  const release = (): void => {
    holding = false;
    socket.uncork();
  };
  // Before the wrapper: connect() puts Socket.prototype.write back on the instance.
  socket.connect(options.port[0] ?? 5432, options.host[0] ?? 'localhost');
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!holding && (chunk as { length?: unknown }).length !== undefined && Number((chunk as { length: unknown }).length) >= FLUSHES_AT_ONCE) {
      holding = true;
      socket.cork();
      process.nextTick(() => setImmediate(release));
    }
    return write(chunk, ...rest);
  }) as Socket['write'];
  return socket;
}

/**
 * Whether `url` names one host over plain TCP: the case coalescingSocket handles. Several hosts, a Unix
 * socket or TLS keep postgres.js's own socket (it rotates hosts and wraps TLS itself).
 */
export function coalescesWrites(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const ssl = parsed.searchParams.get('sslmode') ?? parsed.searchParams.get('ssl');
  return parsed.hostname !== '' && !parsed.hostname.includes(',') && !parsed.searchParams.has('host') && (ssl === null || ssl === 'disable' || ssl === 'false');
}
