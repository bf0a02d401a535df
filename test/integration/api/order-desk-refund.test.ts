import { userInfo } from 'node:os';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const admin = { username: 'support-ana', password: 'correct-horse-battery' };
const auth = { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}` };
const ACCESS = { metadata: { fulfillment: 'access' } };

interface Entry {
  actor: string | null;
  text: string;
  detail: Record<string, unknown> & { kind: string };
}

/** The order desk's refund (issue 22 with issue 19's refunds), through the real api, the emulator and a worker. */
describe('the order desk refund', () => {
  let stack: Stack;
  let order: { id: string; pi: string; lines: string[]; amounts: number[] };

  const paidOrder = async () => {
    const em = stack.emulator;
    const s = em.store.createSession({ lineItems: items(2).map((i) => ({ ...i, ...ACCESS })) });
    await em.webhooks.send(em.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const stored = em.store.peek(s.id) as { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] };
    return { id: s.id, pi: stored.session.payment_intent as string, lines: stored.lineItems.map((l) => l.id), amounts: stored.lineItems.map((l) => l.amount_total) };
  };

  beforeAll(async () => {
    stack = await startStack({ admin, backoffMs: 20 });
    order = await paidOrder();
  });
  afterAll(async () => stack.close());

  const refunds = (pi = order.pi) => stack.emulator.refunds.list({ account: undefined, paymentIntent: pi, charge: undefined, created: undefined });
  const json = async (sessionId = order.id) =>
    (await (await fetch(`${stack.apiUrl}/admin/orders/${sessionId}`, { headers: { ...auth, accept: 'application/json' } })).json()) as { csrf: string; timeline: Entry[] };
  const post = (form: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
    return fetch(`${stack.apiUrl}/admin/orders/${order.id}/actions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      redirect: 'manual',
    });
  };

  it('refuses a refund without its CSRF token (403) or with a scope that does not match its boxes (400): no refund made', async () => {
    expect((await post({ action: 'refund', scope: 'items', items: order.lines[0] as string })).status).toBe(403);
    const { csrf } = await json();
    const cases: [Record<string, string | string[]>, RegExp][] = [
      [{ csrf, action: 'refund', scope: 'items' }, /check the line items/],
      [{ csrf, action: 'refund', scope: 'whole', items: order.lines[0] as string }, /names no line items/],
      [{ csrf, action: 'refund', items: order.lines[0] as string }, /scope must be/],
      [{ csrf, action: 'refund', scope: 'items', items: 'li_notInThisOrder' }, /li_notInThisOrder is not a line item of cs_/],
      [{ csrf, action: 'refund', scope: 'whole', reason: 'changed_mind' }, /must be one of duplicate, fraudulent, requested_by_customer/],
    ];
    for (const [form, message] of cases) {
      const res = await post(form);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    expect(refunds()).toHaveLength(0);
    expect((await json()).timeline.filter((e) => e.detail.kind === 'action')).toHaveLength(0);
  });

  it('refunds one checked line item in Stripe with its metadata, tells who did it, then the ledger lines once a worker applied it', async () => {
    const page = await (await fetch(`${stack.apiUrl}/admin/orders/${order.id}`, { headers: auth })).text();
    for (const id of order.lines) expect(page).toContain(`name="items" value="${id}"`);
    const { csrf } = await json();
    const item = order.lines[1] as string;
    const res = await post({ csrf, action: 'refund', scope: 'items', items: [item], reason: 'requested_by_customer' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/orders/${order.id}?done=refund&result=succeeded`);
    const [made, ...more] = refunds();
    expect(more).toHaveLength(0);
    expect(made).toMatchObject({ amount: order.amounts[1], reason: 'requested_by_customer', metadata: { line_items: item } });

    const told = await waitFor(async () => {
      const t = (await json()).timeline;
      return t.some((e) => e.detail.kind === 'ledger' && e.detail.ledgerKind === 'access' && e.detail.lineItemId === item) ? t : undefined;
    }, 'the refund applied by a worker');
    const actions = told.filter((e) => e.detail.kind === 'action');
    expect(actions.map((e) => [e.actor, e.detail.action, e.detail.via, e.detail.refundId, e.detail.amount, e.detail.lineItems])).toEqual([
      [admin.username, 'refund', 'desk', made?.id, order.amounts[1], [item]],
    ]);
    expect(actions[0]?.text).toBe(`support-ana refunded item ${item}, ${order.amounts[1]} (minor units), as ${made?.id} (desk): succeeded`);
    const ledger = told.filter((e) => e.detail.kind === 'ledger').map((e) => [e.detail.ledgerKind, e.detail.lineItemId, e.detail.access ?? e.detail.refundState]);
    expect(ledger).toEqual([
      ['fulfilled', null, 'active'],
      ['refund', null, 'partial'],
      ['access', item, 'revoked'],
    ]);
    const shown = await (await fetch(`${stack.apiUrl}/admin/orders/${order.id}?done=refund&result=succeeded`, { headers: auth })).text();
    expect(shown).toContain('refund: Stripe made the refund');
    // The same item again: refused as the CLI refuses it, naming the refund that took it back.
    const again = await post({ csrf, action: 'refund', scope: 'items', items: [item] });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { message: string }).message).toContain(`${item} is revoked already (by ${made?.id})`);
    expect(refunds()).toHaveLength(1);
  });

  it('the CLI refund leaves its entry in the story, with the OS user', async () => {
    const r = await runCli(['refund', order.id, '--amount', '100'], stack.env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { refund: string };
    const entry = (await json()).timeline.filter((e) => e.detail.kind === 'action').at(-1);
    expect(entry).toMatchObject({ actor: userInfo().username, detail: { action: 'refund', via: 'cli', refundId: out.refund, amount: 100, result: 'succeeded' } });
  });

  it('puts an order with an open dispute on the attention list', async () => {
    const disputed = await paidOrder();
    const attention = async () =>
      ((await (await fetch(`${stack.apiUrl}/admin/orders`, { headers: { ...auth, accept: 'application/json' } })).json()) as { attention: { sessionId: string; attention: string[] }[] }).attention;
    expect((await attention()).some((a) => a.sessionId === disputed.id)).toBe(false);
    await stack.emulator.webhooks.sendInOrder(stack.emulator.disputes.open(disputed.pi).events);
    const listed = await waitFor(async () => (await attention()).find((a) => a.sessionId === disputed.id), 'the disputed order listed');
    expect(listed.attention).toEqual(['dispute_open']);
    const page = await (await fetch(`${stack.apiUrl}/admin/orders`, { headers: auth })).text();
    expect(page).toContain('a dispute is open');
  });
});
