import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMailbox, type DemoMailbox } from '../../../src/demo/mailbox-server.js';
import { createEmailDeliverer } from '../../../src/effects/email-deliverer.js';
import type { EmailEffectPayload } from '../../../src/effects/effect.js';
import { effectRecord, orderSnapshot } from '../../helpers/orders.js';
import { silent } from '../../helpers/stack.js';

describe('demo mailbox: SMTP sink and its page', () => {
  let mailbox: DemoMailbox;

  beforeAll(async () => {
    mailbox = await startDemoMailbox({ shopUrl: 'http://127.0.0.1:4242/' });
  });
  afterAll(async () => {
    await mailbox.close();
  });

  it('starts empty, pointing at the shop', async () => {
    const page = await fetch(mailbox.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const body = await page.text();
    expect(body).toContain('No email yet');
    expect(body).toContain('href="http://127.0.0.1:4242/"');
  });

  it('shows a receipt the email deliverer sent to it, with the HTML part sandboxed', async () => {
    const deliverer = createEmailDeliverer({ smtpUrl: mailbox.sink.smtpUrl, from: 'Demo Shop <orders@demo.localhost>', log: silent });
    const order = orderSnapshot({ customerName: '<b>Ada</b>' });
    const effect = effectRecord<EmailEffectPayload>('email', 'ada@example.com', { to: 'ada@example.com', order }, { idempotencyKey: 'eff_demo_1' });
    try {
      expect(await deliverer.deliver(effect, new AbortController().signal)).toMatchObject({ outcome: 'delivered' });
    } finally {
      await deliverer.close?.();
    }
    const [mail] = mailbox.sink.mails();
    expect(mail).toMatchObject({ subject: `Your receipt for order ${order.sessionId}`, messageId: '<eff_demo_1@demo.localhost>' });

    const list = await (await fetch(mailbox.url)).text();
    expect(list).toContain(`Your receipt for order ${order.sessionId}`);
    expect(list).toContain(`href="/demo/mailbox/${mail?.id}"`);

    const one = await (await fetch(`${mailbox.url}/${mail?.id}`)).text();
    expect(one).toContain('&lt;eff_demo_1@demo.localhost&gt;');
    expect(one).toContain('¥4,700');
    expect(one).toContain('Thank you for your order, &lt;b&gt;Ada&lt;/b&gt;.');
    expect(one).toMatch(/<iframe[^>]* sandbox src="\/demo\/mailbox\/\d+\/html"/);

    const framed = await fetch(`${mailbox.url}/${mail?.id}/html`);
    expect(framed.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(await framed.text()).toContain('Field guide (PDF)');
    expect((await fetch(`${mailbox.url}/999999`)).status).toBe(404);
  });

  it('keeps a message out when it is larger than the sink takes', async () => {
    const transport = nodemailer.createTransport({ url: mailbox.sink.smtpUrl });
    const before = mailbox.sink.mails().length;
    await expect(
      transport.sendMail({ from: 'a@demo.localhost', to: 'b@demo.localhost', subject: 'big', text: 'x'.repeat(2 << 20) }),
    ).rejects.toMatchObject({ responseCode: 552 });
    transport.close();
    expect(mailbox.sink.mails().length).toBe(before);
  });
});
