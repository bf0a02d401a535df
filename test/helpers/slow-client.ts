import { connect, type Socket } from 'node:net';

/** How a slow connection ended: the status line the server sent (if any) and how much the client sent. */
export interface SlowEnd {
  /** e.g. `HTTP/1.1 408 Request Timeout`; empty when the server closed without a word. */
  readonly statusLine: string;
  readonly bytesSent: number;
}

export interface SlowClient {
  readonly socket: Socket;
  /** Resolves once the server answered and closed, or closed, the connection. */
  readonly ended: Promise<SlowEnd>;
  /** Resolves once the head was written, or the connection ended first (refused, destroyed). */
  readonly ready: Promise<void>;
  /** Whether the connection is still open. */
  open(): boolean;
  stop(): void;
}

export interface SlowOptions {
  readonly port: number;
  readonly host?: string;
  /** The source address (another 127.0.0.x is another client). */
  readonly localAddress?: string;
  /** What is written at once: a request line and headers, perhaps incomplete. */
  readonly head: string;
  /** Then one byte of this every `intervalMs`, forever (until the server closes). */
  readonly drip?: string;
  readonly intervalMs?: number;
}

/**
 * A client that never finishes its request: the slow-body (or slow-header) attack of issue 23, one
 * connection of it. The drip stops when the server closes the connection or the test calls `stop`.
 */
export function slowClient(opts: SlowOptions): SlowClient {
  const socket = connect({ port: opts.port, host: opts.host ?? '127.0.0.1', ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }) });
  let sent = 0;
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  socket.on('connect', () => {
    socket.write(opts.head, () => markReady());
    sent += Buffer.byteLength(opts.head);
    if (opts.drip !== undefined) {
      const drip = opts.drip;
      timer = setInterval(() => {
        if (socket.writable) {
          socket.write(drip);
          sent += Buffer.byteLength(drip);
        }
      }, opts.intervalMs ?? 200);
    }
  });
  socket.on('data', (d: Buffer) => {
    if (received.length < 200) received += d.toString('latin1');
  });
  // A refused or reset connection ends too; the test looks at how, not whether, it ended.
  socket.on('error', () => undefined);
  const ended = new Promise<SlowEnd>((resolve) =>
    socket.on('close', () => {
      closed = true;
      clearInterval(timer);
      markReady();
      resolve({ statusLine: received.split('\r\n')[0] ?? '', bytesSent: sent });
    }),
  );
  return {
    socket,
    ended,
    ready,
    open: () => !closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** The head of a POST /webhook that promises `contentLength` bytes, with a signature header that passes the pre-check. */
export function webhookHead(contentLength: number, nowS = Math.floor(Date.now() / 1000)): string {
  return [
    'POST /webhook HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${contentLength}`,
    `Stripe-Signature: t=${nowS},v1=${'ab'.repeat(32)}`,
    '',
    '',
  ].join('\r\n');
}
