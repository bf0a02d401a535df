import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmailDeliverer } from '../../../src/effects/email-deliverer.js';
import type { EffectDeliverer, EmailEffectPayload } from '../../../src/effects/effect.js';
import { effectRecord, orderSnapshot } from '../../helpers/orders.js';
import { freePort } from '../../helpers/ports.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { silent } from '../../helpers/stack.js';

const FROM = 'Demo Shop <orders@shop.example>';
const never = new AbortController().signal;

function emailEffect(payload: Partial<EmailEffectPayload> = {}, key = 'eff_email_0001') {
  return effectRecord<EmailEffectPayload>('email', 'ada@example.com', { to: 'ada@example.com', order: orderSnapshot(), ...payload }, { idempotencyKey: key });
}

describe('receipt email over SMTP (a real smtp-server on loopback)', () => {
  let smtp: SmtpReceiver;
  let deliverer: EffectDeliverer<EmailEffectPayload>;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    deliverer = createEmailDeliverer({ smtpUrl: smtp.url, from: FROM, log: silent, publicUrl: 'https://shop.example' });
  });
  afterAll(async () => {
    await deliverer.close?.();
    await smtp.close();
  });
  afterEach(() => {
    smtp.mode = 'accept';
    smtp.mails.length = 0;
  });

  it('sends one receipt with HTML and text listing every item in yen, the total, the reference and the notes', async () => {
    expect(await deliverer.deliver(emailEffect(), never)).toMatchObject({ outcome: 'delivered' });
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    if (mail === undefined) throw new Error('no mail');
    expect(mail.user).toBe('mailer');
    expect(mail.envelopeTo).toEqual(['ada@example.com']);
    expect(mail.parsed.from?.value).toEqual([{ name: 'Demo Shop', address: 'orders@shop.example' }]);
    expect(mail.parsed.to).toMatchObject({ value: [{ name: 'Ada Lovelace', address: 'ada@example.com' }] });
    expect(mail.parsed.subject).toBe('Your receipt for order cs_test_a1receipt0000000000000000000000000000000000000000001');
    const text = mail.parsed.text ?? '';
    // The order reference may wrap between groups of eight characters (<wbr>) on a phone: read it without them.
    const htmlPart = typeof mail.parsed.html === 'string' ? mail.parsed.html.replaceAll('<wbr>', '') : '';
    expect(htmlPart).not.toBe('');
    for (const part of [text, htmlPart]) {
      for (const [description, quantity, amount] of [
        ['Field guide (PDF)', '1', '¥1,200'],
        ['Sticker pack', '3', '¥1,500'],
        ['Tote bag', '2', '¥2,000'],
      ] as const) {
        expect(part).toContain(description);
        expect(part).toContain(amount);
        expect(part).toMatch(new RegExp(`${quantity}(</td>| ×)`));
      }
      // Zero-decimal currency: 4700 yen is ¥4,700, not ¥47.00.
      expect(part).toContain('¥4,700');
      expect(part).not.toContain('¥47');
      expect(part).toContain('cs_test_a1receipt0000000000000000000000000000000000000000001');
      expect(part).toContain('Access code: GUIDE-7Q2F');
      expect(part).toContain('Ships to Ada Lovelace, 1 rue de Rivoli, 75001 Paris, FR');
      expect(part).toContain('https://shop.example/after-checkout?session_id=cs_test_a1receipt');
    }
  });

  it('keeps the Message-ID of one effect across attempts, and gives another effect another', async () => {
    await deliverer.deliver(emailEffect({}, 'eff_email_0002'), never);
    await deliverer.deliver(emailEffect({}, 'eff_email_0002'), never);
    await deliverer.deliver(emailEffect({}, 'eff_email_0003'), never);
    expect(smtp.mails.map((m) => m.parsed.messageId)).toEqual([
      '<eff_email_0002@shop.example>',
      '<eff_email_0002@shop.example>',
      '<eff_email_0003@shop.example>',
    ]);
    // A key that is not a valid dot-atom is hashed, still the same on every attempt.
    await deliverer.deliver(emailEffect({}, 'cs_1:order:email:<x>'), never);
    await deliverer.deliver(emailEffect({}, 'cs_1:order:email:<x>'), never);
    const [a, b] = smtp.mails.slice(3).map((m) => m.parsed.messageId);
    expect(a).toMatch(/^<h[0-9a-f]{40}@shop\.example>$/);
    expect(b).toBe(a);
  });

  it('escapes customer and product strings in the HTML part', async () => {
    const order = orderSnapshot({
      customerName: '<script>alert(1)</script>',
      lineItems: [{ id: 'li_x', description: '<img src=x onerror=alert(1)>', quantity: 1, amountTotal: 500, currency: 'jpy', price: null, product: null }],
      notes: [{ lineItemId: null, text: 'Gift note: <b>"hi" & bye</b>' }],
      amountTotal: 500,
    });
    await deliverer.deliver(emailEffect({ order }), never);
    const htmlPart = String(smtp.mails[0]?.parsed.html);
    expect(htmlPart).not.toContain('<img src=x');
    expect(htmlPart).not.toContain('<script>');
    expect(htmlPart).not.toContain('<b>');
    expect(htmlPart).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(htmlPart).toContain('&lt;b&gt;&quot;hi&quot; &amp; bye&lt;/b&gt;');
    expect(smtp.mails[0]?.parsed.text).toContain('<img src=x onerror=alert(1)>');
  });

  it('cannot be made to add headers or recipients through CR/LF in a name or an address', async () => {
    const order = orderSnapshot({ customerName: 'Eve\r\nBcc: mallory@evil.example\r\nX-Injected: yes' });
    expect(await deliverer.deliver(emailEffect({ order }), never)).toMatchObject({ outcome: 'delivered' });
    const [mail] = smtp.mails;
    expect(mail?.envelopeTo).toEqual(['ada@example.com']);
    expect(mail?.parsed.headers.has('bcc')).toBe(false);
    expect(mail?.parsed.headers.has('x-injected')).toBe(false);
    const head = mail?.raw.split('\r\n\r\n')[0] ?? '';
    expect(head).not.toMatch(/^(Bcc|X-Injected):/im);
    expect(mail?.parsed.to).toMatchObject({ value: [{ address: 'ada@example.com' }] });

    for (const to of ['ada@example.com\r\nBcc: mallory@evil.example', 'ada@example.com\nRCPT TO:<mallory@evil.example>', 'Ada <ada@example.com>', 'a@b.example, c@d.example']) {
      expect(await deliverer.deliver(emailEffect({ to }), never)).toEqual({
        outcome: 'permanent',
        code: 'email_address_invalid',
        reason: expect.any(String),
      });
    }
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.attempts).not.toContain('mallory@evil.example');
  });

  it('a 4xx reply for the recipient is retried; a 5xx reply is permanent', async () => {
    smtp.mode = 'defer';
    expect(await deliverer.deliver(emailEffect(), never)).toMatchObject({ outcome: 'retry', code: 'smtp_deferred', reason: expect.stringContaining('451') });
    smtp.mode = 'reject';
    expect(await deliverer.deliver(emailEffect(), never)).toMatchObject({
      outcome: 'permanent',
      code: 'smtp_recipient_rejected',
      reason: expect.stringContaining('550'),
    });
    expect(smtp.mails).toHaveLength(0);
    smtp.mode = 'accept';
    expect(await deliverer.deliver(emailEffect(), never)).toMatchObject({ outcome: 'delivered' });
  });

  it('wrong credentials in SMTP_URL are a permanent failure with their own code', async () => {
    const wrong = createEmailDeliverer({ smtpUrl: smtp.url.replace('secret-pass', 'nope'), from: FROM, log: silent });
    try {
      expect(await wrong.deliver(emailEffect(), never)).toMatchObject({ outcome: 'permanent', code: 'smtp_auth_rejected' });
    } finally {
      await wrong.close?.();
    }
  });
});

describe('receipt email when the SMTP server is not there or stalls', () => {
  it('nothing listening: retry with smtp_unreachable', async () => {
    const port = await freePort();
    const d = createEmailDeliverer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, log: silent });
    try {
      expect(await d.deliver(emailEffect(), never)).toMatchObject({ outcome: 'retry', code: 'smtp_unreachable' });
    } finally {
      await d.close?.();
    }
  });

  it('a server that accepts the connection and never greets: the attempt ends at its bound, retry', async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const port = (mute.address() as { port: number }).port;
    const d = createEmailDeliverer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, log: silent, timeoutMs: 500 });
    try {
      const result = await d.deliver(emailEffect(), never);
      expect(result).toMatchObject({ outcome: 'retry', code: 'smtp_timeout' });
    } finally {
      await d.close?.();
      for (const s of sockets) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });

  it('the caller aborting (shutdown) ends the attempt as a retry', async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const port = (mute.address() as { port: number }).port;
    const d = createEmailDeliverer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, log: silent });
    const stop = new AbortController();
    try {
      const pending = d.deliver(emailEffect(), stop.signal);
      setTimeout(() => stop.abort(), 100);
      expect(await pending).toMatchObject({ outcome: 'retry', code: 'smtp_aborted' });
    } finally {
      await d.close?.();
      for (const s of sockets) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });
});
