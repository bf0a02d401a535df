import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEffectsStack, type EffectsStack } from '../../helpers/effects-stack.js';
import { waitForQueueDrained, waitForStatus } from '../../helpers/sessions.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * A delayed payment that fails (`checkout.session.async_payment_failed`) tells the customer, as the processing
 * page promised: one email through the outbox, written in the transaction that records `payment_failed`,
 * delivered by a real worker process to a real SMTP server, once however often the event comes.
 */
describe('a failed delayed payment: one email to the customer', () => {
  let fx: EffectsStack;
  beforeAll(async () => {
    fx = await startEffectsStack();
  });
  afterAll(async () => fx.close());

  const effects = (sessionId: string) =>
    fx.stack.db.sql<{ kind: string; status: string; target: string }[]>`select kind, status, target from fulfillment_effects where session_id = ${sessionId} order by id`;

  it('redelivered and raced by the landing page, the failure sends one notice, and no receipt', async () => {
    const { store, webhooks } = fx.stack.emulator;
    const s = store.createSession({ customerEmail: 'bo@example.com', lineItems: [{ name: 'Stoneware mug', unitAmount: 1800, quantity: 2 }] });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'unpaid', name: 'Bo <b>Diddley</b>' }));
    await waitForStatus(fx.stack, s.id, 'awaiting_payment');
    expect(await effects(s.id)).toEqual([]);

    const failed = store.asyncPayment(s.id, 'failed');
    await Promise.all([webhooks.send(failed, { duplicates: 2 }), fetch(`${fx.stack.apiUrl}/after-checkout?session_id=${s.id}`)]);
    await waitForStatus(fx.stack, s.id, 'payment_failed');
    const settled = await waitFor(async () => {
      const rows = await effects(s.id);
      return rows.length > 0 && rows.every((r) => r.status !== 'pending') ? rows : undefined;
    }, 'the email effect to settle');
    expect(settled).toEqual([{ kind: 'email', status: 'delivered', target: 'bo@example.com' }]);

    // Once more, late: the session is final, nothing new is written or sent.
    await webhooks.send(failed);
    await waitForQueueDrained(fx.stack);
    expect(await effects(s.id)).toHaveLength(1);

    const mails = fx.smtp.mails.filter((m) => m.envelopeTo.includes('bo@example.com'));
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail?.parsed.subject).toBe(`Your payment for order ${s.id} did not go through`);
    expect(mail?.parsed.text).toContain('no money was taken and nothing will be sent');
    expect(mail?.parsed.text).toContain('$36.00');
    expect(mail?.parsed.text).toContain(s.id);
    const htmlPart = String(mail?.parsed.html);
    expect(htmlPart).toContain('Bo &lt;b&gt;Diddley&lt;/b&gt;, your payment did not go through.');
    expect(htmlPart.replaceAll('<wbr>', '')).toContain(s.id);
    expect(htmlPart).not.toContain('Your receipt');
  });

  it('a failed payment of a session without an email writes no effect; a paid one still gets its receipt only', async () => {
    const { store, webhooks } = fx.stack.emulator;
    const anonymous = store.createSession({ lineItems: [{ name: 'Mug', unitAmount: 1800 }] });
    await webhooks.send(store.complete(anonymous.id, { paymentStatus: 'unpaid' }));
    // The emulator gives every completed session an email (Checkout asks for one): take it away as a test of the null path.
    const stored = store.peek(anonymous.id);
    if (stored?.session.customer_details) stored.session.customer_details.email = null;
    await waitForStatus(fx.stack, anonymous.id, 'awaiting_payment');
    await webhooks.send(store.asyncPayment(anonymous.id, 'failed'));
    await waitForStatus(fx.stack, anonymous.id, 'payment_failed');
    expect(await effects(anonymous.id)).toEqual([]);

    const paid = store.createSession({ customerEmail: 'cy@example.com', lineItems: [{ name: 'Mug', unitAmount: 1800 }] });
    await webhooks.send(store.complete(paid.id, { paymentStatus: 'unpaid' }));
    await waitForStatus(fx.stack, paid.id, 'awaiting_payment');
    await webhooks.send(store.asyncPayment(paid.id, 'succeeded'));
    await waitForStatus(fx.stack, paid.id, 'fulfilled');
    await waitFor(async () => ((await effects(paid.id)).some((r) => r.kind === 'email' && r.status === 'delivered') ? true : undefined), 'the receipt');
    const subjects = fx.smtp.mails.filter((m) => m.envelopeTo.includes('cy@example.com')).map((m) => m.parsed.subject);
    expect(subjects).toEqual([`Your receipt for order ${paid.id}`]);
  });
});
