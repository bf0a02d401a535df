import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_BODY_LIMIT, EMAIL_SIZE_LIMIT, SHOWN_LINE_ITEMS } from '../../../src/domain/line-item-bound.js';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ITEMS = 10_000;

/**
 * A 10,000-line-item session, fulfilled through the real stack: every surface that shows or sends its line
 * items stays bounded (the first SHOWN_LINE_ITEMS, then "and N more"). Prints what it measured (the figures in
 * docs/reliability.md); the bounds are asserted, the times only printed.
 */
describe('line items are bounded on every surface', () => {
  let smtp: SmtpReceiver;
  let receiver: CallbackReceiver;
  let stack: Stack;
  let sessionId: string;
  const figures: Record<string, string> = {};

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    stack = await startStack({ effects: { smtpUrl: smtp.url, callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET }, landing: { emailConfigured: true } });
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({ lineItems: items(ITEMS) });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', email: 'jenny@example.com' }));
    sessionId = s.id;
    await waitForStatus(stack, sessionId, 'fulfilled', 120_000);
  }, 180_000);
  afterAll(async () => {
    process.stdout.write(`\nline-item bound figures (${ITEMS} items)\n${Object.entries(figures).map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
    await stack.close();
    await receiver.close();
    await smtp.close();
  });

  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

  it('the status API', async () => {
    const res = await fetch(`${stack.apiUrl}/api/checkout-sessions/${sessionId}`);
    const text = await res.text();
    figures['status response'] = kb(Buffer.byteLength(text));
    const body = JSON.parse(text) as { line_items: unknown[]; line_item_count: number };
    expect(body.line_items).toHaveLength(SHOWN_LINE_ITEMS);
    expect(body.line_item_count).toBe(ITEMS);
    expect(Buffer.byteLength(text)).toBeLessThan(64 * 1024);
  });

  it('the order page', async () => {
    const times: number[] = [];
    let page = '';
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      page = await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${sessionId}`)).text();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    figures['order page'] = `${kb(Buffer.byteLength(page))}, median ${times[2]?.toFixed(0)} ms a load (5 loads)`;
    expect(page).toContain('Thank you! Your order is confirmed.');
    expect(page).toContain('Item 100<');
    expect(page).not.toContain('Item 101<');
    expect(page).toContain('and 9,900 more items');
    expect(Buffer.byteLength(page)).toBeLessThan(128 * 1024);
  });

  it('the receipt email', async () => {
    const mail = await waitFor(() => smtp.mails.find((m) => m.raw.includes(sessionId)), 'the receipt', 60_000);
    figures['receipt email'] = kb(Buffer.byteLength(mail.raw));
    expect(mail.parsed.text).toContain('and 9,900 more items');
    expect(mail.parsed.text).not.toContain('Item 101:');
    expect(Buffer.byteLength(mail.raw)).toBeLessThan(EMAIL_SIZE_LIMIT);
  });

  it('the callback', async () => {
    const received = await waitFor(() => receiver.received.find((r) => r.body.includes(sessionId)), 'the callback', 60_000);
    figures['callback body'] = kb(Buffer.byteLength(received.body));
    expect(received.verifiedWith).toEqual([true]);
    const body = JSON.parse(received.body) as { data: { line_items: unknown[]; line_item_count: number } };
    expect(body.data.line_items).toHaveLength(SHOWN_LINE_ITEMS);
    expect(body.data.line_item_count).toBe(ITEMS);
    expect(Buffer.byteLength(received.body)).toBeLessThan(CALLBACK_BODY_LIMIT);
  });
});
