import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasUnsafeDisplayCharacter } from '../../../src/domain/display-text.js';
import { runCli } from '../../helpers/processes.js';
import { waitForStatus } from '../../helpers/sessions.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { TROJAN_SOURCE } from '../../helpers/trojan-source.js';
import { waitFor } from '../../helpers/wait.js';

/** Every code point of `text` that no person should be shown, as `U+XXXX` (an empty list passes). */
function unsafeIn(text: string, lines = true): string[] {
  return [...text].filter((c) => hasUnsafeDisplayCharacter(c, { lines })).map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/**
 * Trojan Source (CVE-2021-42574) through every surface a person reads: a session whose product names,
 * customer name and shipping note carry the samples is fulfilled, then its real order page (HTML from the
 * api), the real receipt a real SMTP server received (text and HTML parts, parsed by mailparser) and the
 * real CLI's output hold none of those characters, and still hold the words.
 */
describe('bidi and control characters never reach a reader', () => {
  let stack: Stack;
  let smtp: SmtpReceiver;
  let sessionId: string;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    stack = await startStack({ effects: { smtpUrl: smtp.url }, landing: { emailConfigured: true } });
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({
      lineItems: [
        ...TROJAN_SOURCE.map(([, text], i) => ({ name: text, unitAmount: 100 + i, metadata: { fulfillment: 'access' } })),
        { name: 'Mug \u202Egnp.exe', description: 'A mug\u0007\u001b[31m red', unitAmount: 1500, metadata: { fulfillment: 'shipping' } },
      ],
      shippingCountries: ['US'],
    });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', name: 'Jenny \u001b[2J\u202ERosen\u0007', email: 'jenny@example.com' }));
    sessionId = s.id;
    await waitForStatus(stack, sessionId, 'fulfilled');
  });
  afterAll(async () => {
    await stack.close();
    await smtp.close();
  });

  it('the order page', async () => {
    const page = await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${sessionId}`)).text();
    expect(page).toContain('Thank you! Your order is confirmed.');
    expect(unsafeIn(page)).toEqual([]);
    expect(page).toContain('invoicefdp.exe');
    // The shipping name, and the line item the page names.
    expect(page).toContain('Ships to Jenny [2JRosen.');
    expect(page).toContain('A mug[31m red');
  });

  it('the receipt email, text and HTML parts', async () => {
    const mail = await waitFor(() => smtp.mails.find((m) => m.raw.includes(sessionId)), 'the receipt');
    const text = mail.parsed.text ?? '';
    const htmlPart = typeof mail.parsed.html === 'string' ? mail.parsed.html : '';
    expect(text).toContain('Thank you for your order, Jenny [2JRosen.');
    expect(unsafeIn(text)).toEqual([]);
    expect(htmlPart).toContain('invoicefdp.exe');
    expect(unsafeIn(htmlPart)).toEqual([]);
    // The To display name too (nodemailer encodes it; mailparser decodes it).
    expect(unsafeIn(JSON.stringify(mail.parsed.to), false)).toEqual([]);
    expect(unsafeIn(mail.parsed.subject ?? '', false)).toEqual([]);
  });

  it('the CLI: status output, and an unknown argument echoed back', async () => {
    const status = await runCli(['status', sessionId], stack.env());
    expect(status.code).toBe(0);
    expect(unsafeIn(status.stdout)).toEqual([]);
    const shown = JSON.parse(status.stdout) as { line_items: { description: string }[] };
    expect(shown.line_items.map((i) => i.description)).toContain('invoicefdp.exe');

    const unknown = await runCli(['refund\u202Etxt.exe', sessionId], stack.env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "refundtxt.exe"');
    expect(unsafeIn(unknown.stderr)).toEqual([]);
    const extra = await runCli(['status', sessionId, '\u001b[2J\u0007\u2067x'], stack.env());
    expect(extra.code).toBe(2);
    expect(unsafeIn(extra.stderr)).toEqual([]);
    expect(extra.stderr).toContain('unexpected argument(s): "\\u001b[2J\\u0007x"');
  });
});
