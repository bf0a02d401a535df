import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEffectsStack, type EffectsStack } from '../../helpers/effects-stack.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { waitFor } from '../../helpers/wait.js';

const ACCESS = { metadata: { fulfillment: 'access' } };

/**
 * What the customer sees after the sale: the order page (served by the real api, read over HTTP) and the emails
 * (a real worker process delivering to a real SMTP server), driven by the emulator's refund and dispute events.
 */
describe('the customer after the sale: order page and receipt', () => {
  let fx: EffectsStack;
  beforeAll(async () => {
    fx = await startEffectsStack();
  });
  afterAll(async () => fx.close());

  const em = () => fx.stack.emulator;
  async function fulfilledOrder(email: string) {
    const s = em().store.createSession({ customerEmail: email, lineItems: items(2).map((i) => ({ ...i, quantity: 1, ...ACCESS })) });
    await em().webhooks.send(em().store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(fx.stack, s.id, 'fulfilled');
    const stored = em().store.peek(s.id) as { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] };
    return { id: s.id, pi: stored.session.payment_intent as string, lines: stored.lineItems.map((l) => l.id) };
  }
  const page = async (id: string) => (await (await fetch(`${fx.stack.apiUrl}/after-checkout?session_id=${id}`)).text()).replaceAll('<wbr>', '');
  const waitAccess = (id: string, ok: (v: Record<string, unknown>) => boolean, what: string) =>
    waitFor(async () => {
      const v = (await status(fx.stack, id)).body;
      return ok(v) ? v : undefined;
    }, what);
  const codes = async (id: string) =>
    (await fx.stack.db.sql<{ access_code: string }[]>`select access_code from access_grants where session_id = ${id}`).map((r) => r.access_code);

  it('a full refund: the page says refunded in full, the amount beside the total, access ended; no "Paid", no thanks for a confirmed order', async () => {
    const o = await fulfilledOrder('fr@example.com');
    expect(await page(o.id)).toContain('Thank you! Your order is confirmed.');
    // items(2) with quantity 1: $10.00 + $10.01.
    await em().webhooks.sendInOrder(em().refunds.create({ paymentIntent: o.pi }, undefined).events);
    await waitAccess(o.id, (v) => v.access === 'revoked', 'the full refund');
    const p = await page(o.id);
    expect(p).toContain('<span class="badge wait">Refunded</span>');
    expect(p).toContain('<h1>Your order was refunded in full.</h1>');
    expect(p).toMatch(/Refunded \$20\.01 on \d{1,2} [A-Z][a-z]+; access to Item 1 and Item 2 has ended\./);
    expect(p).toContain('<td colspan="3">Total paid</td><td class="num">$20.01</td></tr><tr><td colspan="3">Refunded</td><td class="num">$20.01</td>');
    expect(p).not.toContain('>Paid<');
    expect(p).not.toContain('Thank you! Your order is confirmed.');
    const revoked = await codes(o.id);
    expect(revoked).toHaveLength(2);
    for (const code of revoked) expect(p).not.toContain(code);
  });

  it('a partial refund says "Partly refunded" with the amount; the item kept keeps its code', async () => {
    const o = await fulfilledOrder('pr@example.com');
    const refund = em().refunds.create({ paymentIntent: o.pi, amount: 1000, metadata: { line_items: o.lines[0] as string } }, undefined);
    await em().webhooks.sendInOrder(refund.events);
    await waitAccess(o.id, (v) => v.access === 'partially_revoked', 'the partial refund');
    const p = await page(o.id);
    expect(p).toContain('<span class="badge wait">Partly refunded</span>');
    expect(p).toContain('<h1>Your order was partly refunded.</h1>');
    expect(p).toMatch(/Refunded \$10\.00 on \d{1,2} [A-Z][a-z]+; access to Item 1 has ended\./);
    expect(p).toContain('<td colspan="3">Refunded</td><td class="num">$10.00</td>');
    const codeOf = async (line: string) =>
      (await fx.stack.db.sql<{ access_code: string }[]>`select access_code from access_grants where session_id = ${o.id} and line_item_id = ${line}`)[0]?.access_code;
    const gone = await codeOf(o.lines[0] as string);
    const kept = await codeOf(o.lines[1] as string);
    expect(gone).toBeDefined();
    expect(p).not.toContain(gone);
    expect(p).toContain(kept);
  });

  it('an open dispute pauses access in neutral words; won, the page reads as it did when paid', async () => {
    const o = await fulfilledOrder('du@example.com');
    const before = await page(o.id);
    const opened = em().disputes.open(o.pi);
    await em().webhooks.sendInOrder(opened.events);
    await waitAccess(o.id, (v) => v.access === 'suspended', 'the dispute');
    const p = await page(o.id);
    expect(p).toContain('<span class="badge wait">Paused</span>');
    expect(p).toContain('Access to Item 1 and Item 2 is paused while a payment dispute is reviewed.');
    expect(p).not.toContain('Thank you! Your order is confirmed.');
    expect(p).not.toContain('>Refunded<');
    await em().webhooks.sendInOrder(em().disputes.move(opened.dispute.id, 'won').events);
    await waitAccess(o.id, (v) => v.access === 'active' && v.dispute_status === 'won', 'the dispute won');
    const back = await page(o.id);
    expect(back).toContain('<span class="badge ok">Paid</span>');
    expect(back).toContain('<h1>Thank you! Your order is confirmed.</h1>');
    expect(back).not.toContain('paused');
    expect(back).not.toContain('>Refunded<');
    const active = await codes(o.id);
    expect(active).toHaveLength(2);
    for (const code of active) expect(back).toContain(code);
    expect(before).toContain('<h1>Thank you! Your order is confirmed.</h1>');
  });

  it('refunded before its checkout webhook: the receipt shows no access code, and the access-ended email follows', async () => {
    const email = 'early@example.com';
    const s = em().store.createSession({ customerEmail: email, lineItems: items(2).map((i) => ({ ...i, ...ACCESS })) });
    const completed = em().store.complete(s.id, { paymentStatus: 'paid' });
    const pi = (em().store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
    // The refund's run finds the paid session unfulfilled, stores Stripe's facts and sends it to fulfillment, which
    // applies them in its own transaction: the receipt is written there, with both items already taken back.
    await em().webhooks.sendInOrder(em().refunds.create({ paymentIntent: pi }, undefined).events);
    await waitAccess(s.id, (v) => v.status === 'fulfilled' && v.access === 'revoked', 'fulfilled and revoked');
    const [fulfilled] = await fx.stack.db.sql<{ access: string }[]>`select access from order_ledger where session_id = ${s.id} and kind = 'fulfilled'`;
    expect(fulfilled?.access).toBe('revoked');
    await em().webhooks.send(completed);
    const mails = await waitFor(() => {
      const m = fx.smtp.mails.filter((x) => x.envelopeTo.includes(email));
      return m.length >= 2 ? m : undefined;
    }, 'the receipt and the access email');
    const receipt = mails.find((m) => m.parsed.subject === `Your receipt for order ${s.id}`);
    expect(receipt).toBeDefined();
    const revoked = await codes(s.id);
    expect(revoked).toHaveLength(2);
    for (const code of revoked) {
      expect(String(receipt?.parsed.text)).not.toContain(code);
      expect(String(receipt?.parsed.html).replaceAll('<wbr>', '')).not.toContain(code);
    }
    // Still a receipt of the order: its items and its reference.
    expect(String(receipt?.parsed.text)).toContain('Item 1');
    expect(String(receipt?.parsed.text)).toContain(s.id);
    expect(mails.some((m) => m !== receipt && String(m.parsed.text).includes('has ended'))).toBe(true);
  });
});
