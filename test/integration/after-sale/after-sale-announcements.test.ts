import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const CALLBACK_SECRET = 'whsec_AfterSaleAnnouncements0123456789ab';

/** Item 6 of issue 19: each change is announced once, through the same outbox, signing and mail as the receipt. */
describe('after the sale: callbacks and the customer email', () => {
  let stack: Stack;
  let smtp: SmtpReceiver;
  let receiver: CallbackReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    stack = await startStack({ effects: { smtpUrl: smtp.url, callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET, backoffMs: 50 } });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
    await smtp.close();
  });

  const bodiesFor = (sessionId: string) =>
    receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> & { session_id: string } }).filter((b) => b.data.session_id === sessionId);
  const mailsFor = (sessionId: string) => smtp.mails.filter((m) => (m.parsed.text ?? '').includes(sessionId));

  it('a full refund: order.refunded and order.access_changed once each, signed, and an email saying access has ended; the refund failing says it is back', async () => {
    const em = stack.emulator;
    const s = em.store.createSession({ lineItems: items(2).map((i, n) => ({ ...i, name: `Course ${n + 1}`, metadata: { fulfillment: 'access' } })) });
    await em.webhooks.send(em.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const pi = (em.store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
    const created = em.refunds.create({ paymentIntent: pi }, undefined);
    // Every event twice: redeliveries announce nothing more.
    await em.webhooks.sendInOrder([...created.events, ...created.events]);
    await waitFor(() => (bodiesFor(s.id).length >= 3 && mailsFor(s.id).length >= 2 ? true : undefined), 'the announcements of the refund');
    const total = (em.store.peek(s.id) as { session: Stripe.Checkout.Session }).session.amount_total;
    const lines = (em.store.peek(s.id) as { lineItems: Stripe.LineItem[] }).lineItems.map((l) => l.id);
    expect(bodiesFor(s.id).map((b) => b.type).sort()).toEqual(['order.access_changed', 'order.fulfilled', 'order.refunded']);
    expect(bodiesFor(s.id).find((b) => b.type === 'order.refunded')?.data).toEqual({ session_id: s.id, amount_refunded: total, refund_state: 'full' });
    expect(bodiesFor(s.id).find((b) => b.type === 'order.access_changed')?.data).toEqual({
      session_id: s.id,
      access: 'revoked',
      line_items: lines.map((id) => ({ id, access: 'revoked' })),
    });
    expect(receiver.received.every((r) => r.verifiedWith.every(Boolean))).toBe(true);
    const ended = mailsFor(s.id).find((m) => m.parsed.subject?.startsWith('Your order has changed'));
    expect(ended?.parsed.text).toMatch(/Refunded \$[\d,.]+ on \d{1,2} [A-Z][a-z]+; access to Course 1 and Course 2 has ended\./);

    await em.webhooks.sendInOrder(em.refunds.move(created.refund.id, 'failed').events);
    await waitFor(() => (bodiesFor(s.id).length >= 5 && mailsFor(s.id).length >= 3 ? true : undefined), 'the announcements of the failed refund');
    const back = mailsFor(s.id).find((m) => m.parsed.subject?.startsWith('Your access is back'));
    expect(back?.parsed.text).toContain('Access to Course 1 and Course 2 is back.');
    expect(bodiesFor(s.id).filter((b) => b.type === 'order.refunded').map((b) => b.data.amount_refunded)).toEqual([total, 0]);
    // Settled: nothing more arrives for the redeliveries.
    await waitFor(async () => ((await stack.afterSaleQueue.getJobCounts('waiting', 'active', 'delayed')).waiting === 0 ? true : undefined), 'the runs');
    await waitFor(async () => {
      const [p] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from fulfillment_effects where session_id = ${s.id} and status = 'pending'`;
      return p?.n === 0 ? true : undefined;
    }, 'every effect delivered');
    expect(bodiesFor(s.id)).toHaveLength(5);
    expect(mailsFor(s.id)).toHaveLength(3);
  });
});
