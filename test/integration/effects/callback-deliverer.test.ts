import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCallbackDeliverer } from '../../../src/effects/callback-deliverer.js';
import type { CallbackEffectPayload } from '../../../src/effects/effect.js';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { effectRecord, orderSnapshot } from '../../helpers/orders.js';
import { freePort } from '../../helpers/ports.js';
import { silent } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

// Standard Webhooks secrets: whsec_ + base64 of 24 random bytes.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEXT_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const never = new AbortController().signal;

function callbackEffect(url: string, key = 'eff_callback_0001') {
  return effectRecord<CallbackEffectPayload>('callback', url, { url, order: orderSnapshot() }, { idempotencyKey: key });
}

async function mute(handler: (s: Socket) => void = () => undefined): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    handler(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('signed callbacks (a real HTTP receiver verifying with standardwebhooks)', () => {
  let receiver: CallbackReceiver;
  const deliverer = createCallbackDeliverer({ secrets: [SECRET], log: silent, timeoutMs: 1000 });

  beforeAll(async () => {
    receiver = await startCallbackReceiver([SECRET, NEXT_SECRET]);
  });
  afterAll(async () => {
    await receiver.close();
  });
  afterEach(() => {
    receiver.mode = 'ok';
    receiver.received.length = 0;
  });

  it('POSTs the order as JSON, signed so the receiver verifies it, with the idempotency key as webhook-id', async () => {
    expect(await deliverer.deliver(callbackEffect(receiver.url), never)).toEqual({ outcome: 'delivered', detail: 'HTTP 204' });
    expect(receiver.received).toHaveLength(1);
    const [req] = receiver.received;
    expect(req?.verifiedWith).toEqual([true, false]);
    expect(req?.headers['webhook-id']).toBe('eff_callback_0001');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      type: 'order.fulfilled',
      timestamp: '2026-11-27T03:00:00.000Z',
      data: expect.objectContaining({
        session_id: 'cs_test_a1receipt0000000000000000000000000000000000000000001',
        customer_email: 'ada@example.com',
        currency: 'jpy',
        amount_total: 4700,
        line_items: [
          { id: 'li_1', description: 'Field guide (PDF)', quantity: 1, amount_total: 1200, currency: 'jpy', price: 'price_guide', product: 'prod_guide' },
          { id: 'li_2', description: 'Sticker pack', quantity: 3, amount_total: 1500, currency: 'jpy', price: 'price_sticker', product: 'prod_sticker' },
          { id: 'li_3', description: 'Tote bag', quantity: 2, amount_total: 2000, currency: 'jpy', price: 'price_tote', product: 'prod_tote' },
        ],
        notes: [
          { line_item_id: 'li_1', text: 'Access code: GUIDE-7Q2F' },
          { line_item_id: null, text: 'Ships to Ada Lovelace, 1 rue de Rivoli, 75001 Paris, FR' },
        ],
      }),
    });
  });

  it('keeps webhook-id and body the same on every retry of one effect', async () => {
    await deliverer.deliver(callbackEffect(receiver.url, 'eff_cb_retry'), never);
    await deliverer.deliver(callbackEffect(receiver.url, 'eff_cb_retry'), never);
    const [a, b] = receiver.received;
    expect(a?.headers['webhook-id']).toBe('eff_cb_retry');
    expect(b?.headers['webhook-id']).toBe('eff_cb_retry');
    expect(b?.body).toBe(a?.body);
    expect(receiver.received.every((r) => r.verifiedWith[0] === true)).toBe(true);
  });

  it('during a secret rotation signs with every secret; a receiver on either one verifies', async () => {
    const rotating = createCallbackDeliverer({ secrets: [SECRET, NEXT_SECRET], log: silent });
    await rotating.deliver(callbackEffect(receiver.url), never);
    const [req] = receiver.received;
    expect(String(req?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(req?.verifiedWith).toEqual([true, true]);
  });

  it.each([
    ['fail', { outcome: 'retry', code: 'callback_server_error', reason: 'HTTP 500: database is down' }],
    ['gone', { outcome: 'disabled', code: 'callback_gone', reason: 'HTTP 410: this endpoint was removed' }],
    ['busy', { outcome: 'retry', code: 'callback_server_error', reason: 'HTTP 503', retryAfterMs: 7000 }],
    ['redirect', { outcome: 'retry', code: 'callback_redirect', reason: expect.stringContaining('HTTP 307') }],
  ] as const)('receiver answering %s', async (mode, expected) => {
    receiver.mode = mode;
    expect(await deliverer.deliver(callbackEffect(receiver.url), never)).toEqual(expected);
    // The redirect was not followed: one request only.
    expect(receiver.received).toHaveLength(1);
  });

  it('a receiver that never answers costs one bounded attempt, then retry', async () => {
    receiver.mode = 'slow';
    expect(await deliverer.deliver(callbackEffect(receiver.url), never)).toMatchObject({ outcome: 'retry', code: 'callback_timeout' });
  });

  it('a 200 whose body never ends is delivered without waiting for the body', async () => {
    receiver.mode = 'trickle';
    expect(await deliverer.deliver(callbackEffect(receiver.url), never)).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
  });

  it('a 200 MB error body is not buffered: a few hundred bytes are read, the rest refused', async () => {
    receiver.mode = 'huge';
    const before = process.memoryUsage().arrayBuffers;
    const result = await deliverer.deliver(callbackEffect(receiver.url), never);
    expect(result).toMatchObject({ outcome: 'retry', code: 'callback_server_error' });
    expect(result.outcome === 'retry' && result.reason.length).toBeLessThanOrEqual(600);
    // The client hung up long before the receiver could push it all (socket buffers hold a few MB at most).
    expect(receiver.hugeBytesWritten).toBeLessThan(100 * (1 << 20));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * (1 << 20));
  });

  it('keeps its connections: ten callbacks one after another to one receiver open two sockets at most', async () => {
    const own = createCallbackDeliverer({ secrets: [SECRET], log: silent });
    const before = receiver.connections;
    try {
      for (let i = 0; i < 10; i++) {
        expect(await own.deliver(callbackEffect(receiver.url, `eff_ka_${i}`), never)).toEqual({ outcome: 'delivered', detail: 'HTTP 204' });
      }
      // undici hands over an answer just before it marks its socket free, so the second callback opens
      // another one; from then on the two take turns.
      expect(receiver.connections - before).toBeLessThanOrEqual(2);
    } finally {
      await own.close?.();
    }
  });

  it('opens at most 50 connections to one receiver: a slow one cannot take unbounded sockets', async () => {
    const own = createCallbackDeliverer({ secrets: [SECRET], log: silent, timeoutMs: 60_000 });
    const stop = new AbortController();
    receiver.mode = 'slow';
    const before = receiver.connections;
    try {
      const pending = Array.from({ length: 60 }, (_, i) => own.deliver(callbackEffect(receiver.url, `eff_pool_${i}`), stop.signal));
      await waitFor(() => (receiver.received.length >= 50 ? true : undefined), '50 requests held by the slow receiver');
      // Every held request has its own socket and none was freed: the other 10 wait in the agent's queue.
      expect(receiver.connections - before).toBe(50);
      stop.abort();
      const results = await Promise.all(pending);
      expect(results.every((r) => r.outcome === 'retry' && r.code === 'callback_aborted')).toBe(true);
      expect(receiver.received).toHaveLength(50);
    } finally {
      await own.close?.();
    }
  });

  it('close() ends a 2xx body still being drained at once, and later attempts end as callback_aborted', async () => {
    const own = createCallbackDeliverer({ secrets: [SECRET], log: silent, timeoutMs: 60_000 });
    receiver.mode = 'trickle';
    expect(await own.deliver(callbackEffect(receiver.url), never)).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
    // The trickling body would hold the agent's close() for the whole minute: close() cuts it.
    await own.close?.();
    expect(await own.deliver(callbackEffect(receiver.url), never)).toMatchObject({ outcome: 'retry', code: 'callback_aborted' });
  });
});

describe('callbacks to receivers that are down or speak garbage', () => {
  const deliverer = createCallbackDeliverer({ secrets: [SECRET], log: silent, timeoutMs: 1000 });

  it('nothing listening: retry with callback_unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}/hook`;
    expect(await deliverer.deliver(callbackEffect(url), never)).toMatchObject({ outcome: 'retry', code: 'callback_unreachable' });
  });

  it('a server that answers with something that is not HTTP: retry with callback_bad_response', async () => {
    const garbage = await mute((s) => s.once('data', () => s.end('\x00\x01 hello, this is not HTTP at all\r\n\r\n')));
    try {
      expect(await deliverer.deliver(callbackEffect(garbage.url), never)).toMatchObject({ outcome: 'retry', code: 'callback_bad_response' });
    } finally {
      await garbage.close();
    }
  });

  it('a connection that is accepted and then cut: retry', async () => {
    const cut = await mute((s) => s.once('data', () => s.destroy()));
    try {
      expect(await deliverer.deliver(callbackEffect(cut.url), never)).toMatchObject({ outcome: 'retry', code: 'callback_unreachable' });
    } finally {
      await cut.close();
    }
  });

  /** A server answering every request with `head` (and `body`), then leaving the response open unless `end`. */
  async function answering(head: string, body = '', end = true) {
    return mute((s) =>
      s.once('data', () => {
        s.write(head + body);
        if (end) s.end();
      }),
    );
  }

  it.each([
    ['more than 512 bytes', 'y'.repeat(600), 'y'.repeat(512)],
    ['a few bytes, then nothing', 'short', 'short'],
  ])('an error body that never ends (%s): its first 512 bytes at most, within the attempt', async (_what, sent, kept) => {
    const chunk = `${sent.length.toString(16)}\r\n${sent}\r\n`;
    const endless = await answering('HTTP/1.1 502 Bad Gateway\r\ntransfer-encoding: chunked\r\n\r\n', chunk, false);
    try {
      expect(await deliverer.deliver(callbackEffect(endless.url), never)).toEqual({ outcome: 'retry', code: 'callback_server_error', reason: `HTTP 502: ${kept}` });
    } finally {
      await endless.close();
    }
  });

  it.each([
    ['an HTTP date two minutes ahead', () => new Date(Date.now() + 120_000).toUTCString(), (ms: number) => ms > 60_000 && ms <= 120_000],
    ['a day in seconds (capped at 1 h)', () => '86400', (ms: number) => ms === 3_600_000],
    ['given twice (the first counts)', () => '5\r\nretry-after: 9', (ms: number) => ms === 5000],
  ])('Retry-After as %s', async (_what, value, fits) => {
    const busy = await answering(`HTTP/1.1 503 Service Unavailable\r\nretry-after: ${value()}\r\ncontent-length: 0\r\n\r\n`);
    try {
      const result = await deliverer.deliver(callbackEffect(busy.url), never);
      expect(result).toMatchObject({ outcome: 'retry', code: 'callback_server_error', reason: 'HTTP 503' });
      expect(result.outcome === 'retry' && result.retryAfterMs !== undefined && fits(result.retryAfterMs)).toBe(true);
    } finally {
      await busy.close();
    }
  });

  it('the caller aborting (shutdown) ends the attempt as a retry', async () => {
    const silentServer = await mute();
    const stop = new AbortController();
    try {
      const slowDeliverer = createCallbackDeliverer({ secrets: [SECRET], log: silent });
      const pending = slowDeliverer.deliver(callbackEffect(silentServer.url), stop.signal);
      setTimeout(() => stop.abort(), 100);
      expect(await pending).toMatchObject({ outcome: 'retry', code: 'callback_aborted' });
    } finally {
      await silentServer.close();
    }
  });

  it('an idempotency key that cannot be a header value is refused before anything is sent', async () => {
    expect(await deliverer.deliver(callbackEffect('http://127.0.0.1:9/hook', 'bad\r\nkey'), never)).toMatchObject({
      outcome: 'permanent',
      code: 'callback_id_invalid',
    });
  });
});
