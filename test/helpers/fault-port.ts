import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * What the port does with a connection:
 * - `open`: passes it through to the receiver behind it;
 * - `closed`: nothing listens on the port, a connect is refused (ECONNREFUSED) and open connections are reset,
 *   as when the receiver's process is gone;
 * - `reset`: accepts the connection, then resets it (TCP RST) before a byte is exchanged;
 * - `hang`: accepts the connection and never answers (the client's own timeout has to end it).
 */
export type PortMode = 'open' | 'closed' | 'reset' | 'hang';

export interface FaultPort {
  /** The port clients use; the same one whatever the mode, before and after `closed`. */
  readonly port: number;
  readonly mode: PortMode;
  /** Connections that met each mode (a refused connect never reaches the port, so `closed` counts none). */
  readonly seen: Record<PortMode, number>;
  set(mode: PortMode): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP port in front of a receiver (the SMTP sink, the callback receiver), so that a test can take the receiver
 * down and bring it back on the same port, or make it accept connections and then reset or hang them, for any
 * protocol. Hand-written on node:net: Toxiproxy would do this, but it is a separate Go server to install and run,
 * and these four modes are a few lines.
 */
export async function startFaultPort(targetPort: number, host = '127.0.0.1'): Promise<FaultPort> {
  const sockets = new Set<Socket>();
  const seen: Record<PortMode, number> = { open: 0, closed: 0, reset: 0, hang: 0 };
  let mode: PortMode = 'open';
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    seen[mode]++;
    if (mode === 'reset' || mode === 'closed') return void socket.resetAndDestroy();
    if (mode === 'hang') return;
    const upstream = createConnection({ port: targetPort, host });
    // A broken side breaks the other (a reset stays a reset); an orderly end is passed on by pipe() as an end, after
    // the bytes before it (the receiver's last answer, then its FIN) are flushed.
    upstream.on('error', () => socket.resetAndDestroy());
    socket.once('error', () => upstream.resetAndDestroy());
    socket.once('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  server.on('error', () => undefined);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`fault port cannot listen on ${host}:${port} again: ${err.message}`));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;

  const fp: FaultPort = {
    port,
    get mode() {
      return mode;
    },
    seen,
    async set(next) {
      if (next === mode) return;
      const was = mode;
      mode = next;
      const closed = next === 'closed' ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
      // Every connection open so far ends with the mode: a kept-alive connection must not carry a client through
      // a fault it should meet, and one that `hang` held ends as a recovering receiver would drop it.
      for (const s of sockets) s.resetAndDestroy();
      if (closed !== undefined) await closed;
      else if (was === 'closed') {
        await listen(port);
      }
    },
    async close() {
      await fp.set('closed');
    },
  };
  return fp;
}
