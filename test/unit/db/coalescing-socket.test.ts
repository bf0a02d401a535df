import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalescesWrites, coalescingSocket } from '../../../src/db/coalescing-socket.js';

describe('coalescingSocket', () => {
  const received: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d: Buffer) => received.push(d)));
  let port = 0;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('sends the large writes of one turn and the small ones of its setImmediate in one writev, in order', async () => {
    const socket = coalescingSocket({ host: ['127.0.0.1'], port: [port] });
    await once(socket, 'connect');
    const batches: number[] = [];
    const s = socket as Socket & { _writev: (chunks: { chunk: Buffer }[], cb: () => void) => void; _write: (chunk: Buffer, enc: string, cb: () => void) => void };
    const writev = s._writev.bind(s);
    const write = s._write.bind(s);
    s._writev = (chunks, cb) => (batches.push(chunks.length), writev(chunks, cb));
    s._write = (chunk, enc, cb) => (batches.push(1), write(chunk, enc, cb));

    const big = (c: string) => Buffer.alloc(1500, c);
    // As postgres.js sends a transaction's second round trip: two statements over 1 KiB at once, COMMIT at setImmediate.
    socket.write(big('a'));
    socket.write(big('b'));
    setImmediate(() => socket.write(Buffer.from('commit')));
    await new Promise((r) => setImmediate(() => setImmediate(r)));
    // A small write alone is not held.
    socket.write(Buffer.from('small'));
    expect(batches).toEqual([3, 1]);

    const total = 1500 * 2 + 'commit'.length + 'small'.length;
    while (Buffer.concat(received).length < total) await new Promise((r) => setTimeout(r, 5));
    expect(Buffer.concat(received).toString()).toBe(`${'a'.repeat(1500)}${'b'.repeat(1500)}commitsmall`);
    socket.destroy();
  });

  it.each([
    ['postgres://postgres@127.0.0.1:5432/db', true],
    ['postgres://u:p@db.internal/db?sslmode=disable', true],
    ['postgres://u:p@db.internal/db?sslmode=require', false],
    ['postgres://u@/db?host=/var/run/postgresql', false],
    ['postgres://u@a:5432,b:5432/db', false],
    ['not a url', false],
  ])('coalesces writes for %s: %s', (url, expected) => {
    expect(coalescesWrites(url)).toBe(expected);
  });
});
