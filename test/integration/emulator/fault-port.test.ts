import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultPort, type FaultPort } from '../../helpers/fault-port.js';

/** What a raw TCP client sees on the port: refused, reset, or the bytes it got before the connection ended. */
function talk(port: number, request: string): Promise<{ connected: boolean; error?: string; received: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let connected = false;
    let received = '';
    s.on('connect', () => {
      connected = true;
      s.write(request);
    });
    s.on('data', (d: Buffer) => (received += d.toString('utf8')));
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ connected, error: err.code ?? err.message, received }));
    s.on('close', () => resolve({ connected, received }));
  });
}

const GET = 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

/** The port the proof puts in front of its receivers: down, reset, hung, and back on the same port. */
describe('fault port', () => {
  let target: Server;
  let served = 0;
  let fp: FaultPort;
  beforeAll(async () => {
    target = createServer((_req, res) => {
      served++;
      res.end('pong');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    fp = await startFaultPort((target.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await fp.close();
    await new Promise<void>((r) => target.close(() => r()));
  });

  it('passes connections through, refuses them while closed, resets or holds them, and is back on the same port', async () => {
    const ok = await fetch(`http://127.0.0.1:${fp.port}/ping`);
    expect(await ok.text()).toBe('pong');

    await fp.set('closed');
    expect(await talk(fp.port, GET)).toMatchObject({ connected: false, error: 'ECONNREFUSED' });
    const refused = await fetch(`http://127.0.0.1:${fp.port}/ping`).catch((e: unknown) => e);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');

    await fp.set('reset');
    // Accepted (a reset, not a refusal: the client may not even see its connect complete first), then reset.
    expect(await talk(fp.port, GET)).toMatchObject({ error: 'ECONNRESET', received: '' });
    expect(fp.seen.reset).toBe(1);

    await fp.set('hang');
    const before = served;
    const hung = talk(fp.port, GET);
    while (fp.seen.hang === 0) await new Promise((r) => setTimeout(r, 10));
    // Held until the mode changes, then reset: no byte came back, and the receiver never saw the request.
    await fp.set('open');
    expect(await hung).toMatchObject({ connected: true, received: '' });
    expect(served).toBe(before);

    expect(await talk(fp.port, GET)).toMatchObject({ connected: true, received: expect.stringContaining('pong') });
    expect(fp.seen).toMatchObject({ reset: 1, hang: 1 });
    expect(served).toBe(before + 1);
  });
});
