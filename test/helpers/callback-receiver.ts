import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedCallback {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** For each of the receiver's secrets: did the request verify with it (standardwebhooks' own `verify`)? */
  readonly verifiedWith: readonly boolean[];
}

/**
 * How the receiver answers: `ok` 204; `fail` 500; `gone` 410; `busy` 503 with Retry-After: 7; `redirect`
 * 307 to itself; `slow` headers never sent; `huge` a 200 MB 500 response; `trickle` 200 status, then a body
 * dribbling forever; `unstorable` 500 with a body of bytes Postgres cannot store (NUL, invalid UTF-8, ESC).
 */
export type ReceiverMode = 'ok' | 'fail' | 'gone' | 'busy' | 'redirect' | 'slow' | 'huge' | 'trickle' | 'unstorable';

/** What the `unstorable` mode answers: NUL, bytes that are not UTF-8, a terminal escape, a bidi override. */
export const UNSTORABLE_BODY = Buffer.concat([Buffer.from('down\u0000 '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(' \u001b[2J \u202egnp.exe')]);

export interface CallbackReceiver {
  readonly url: string;
  readonly received: ReceivedCallback[];
  mode: ReceiverMode;
  /** Bytes the `huge` mode managed to write before the client hung up. */
  hugeBytesWritten: number;
  /** TCP connections accepted so far (a keep-alive client opens few). */
  connections: number;
  close(): Promise<void>;
}

/** An HTTP endpoint on loopback, as a merchant would write one: it verifies each request with `standardwebhooks`. */
export async function startCallbackReceiver(secrets: readonly string[]): Promise<CallbackReceiver> {
  const verifiers = secrets.map((s) => new Webhook(s));
  const open = new Set<ServerResponse>();
  const receiver: CallbackReceiver = { url: '', received: [], mode: 'ok', hugeBytesWritten: 0, connections: 0, close };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedWith = verifiers.map((v) => {
        try {
          v.verify(body, req.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      receiver.received.push({ headers: req.headers, body, verifiedWith });
      answer(res);
    });
  });

  server.on('connection', () => void receiver.connections++);

  function answer(res: ServerResponse): void {
    switch (receiver.mode) {
      case 'ok':
        return void res.writeHead(204).end();
      case 'fail':
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end('database is down');
      case 'gone':
        return void res.writeHead(410).end('this endpoint was removed');
      case 'busy':
        return void res.writeHead(503, { 'retry-after': '7' }).end();
      case 'redirect':
        return void res.writeHead(307, { location: `${receiver.url}/elsewhere` }).end();
      case 'slow':
        open.add(res);
        return;
      case 'huge':
        return flood(res);
      case 'unstorable':
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end(UNSTORABLE_BODY);
      case 'trickle':
        open.add(res);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('.');
        return;
    }
  }

  function flood(res: ServerResponse): void {
    const chunk = Buffer.alloc(1 << 20, 'x');
    res.writeHead(500, { 'content-type': 'text/plain' });
    const pump = () => {
      while (receiver.hugeBytesWritten < 200 * (1 << 20)) {
        receiver.hugeBytesWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  }

  async function close(): Promise<void> {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  Object.assign(receiver, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/orders` });
  return receiver;
}
