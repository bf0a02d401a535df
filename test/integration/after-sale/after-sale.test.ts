import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEffectKind, defineHandler } from '../../../src/fulfillment/index.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/** Sessions whose merchant handler's `revoke` throws once (the run must keep nothing, and be retried). */
const throwOnce = new Set<string>();

/**
 * A merchant handler that takes every item and leaves a trace of each hook call as an outbox row (kind
 * `hook-probe`, no deliverer): rows commit with the change or not at all, so they count calls that were kept.
 */
const hookProbe = defineEffectKind<{ hook: string; items: string[]; change: unknown }>('hook-probe');

const probe = defineHandler({
  name: 'hook-probe',
  takes: 'order',
  async fulfill() {},
  async revoke({ session, lineItems, effect, change }) {
    if (throwOnce.delete(session.id)) throw new Error('the merchant handler failed');
    effect(hookProbe, { hook: 'revoke', items: lineItems.map((i) => i.id), change }, { target: 'revoke' });
  },
  async reinstate({ lineItems, effect, change }) {
    effect(hookProbe, { hook: 'reinstate', items: lineItems.map((i) => i.id), change }, { target: 'reinstate' });
  },
});

const ACCESS = { metadata: { fulfillment: 'access' } };

/** Refunds and disputes end to end: the emulator's events through the real api, queue, worker and Postgres. */
describe('after the sale', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backoffMs: 20, effects: { extensions: { handlers: [probe] } } });
  });
  afterAll(async () => stack.close());

  const em = () => stack.emulator;
  /** A paid, fulfilled order of three access items; its PaymentIntent and line item ids. */
  async function fulfilledOrder(account?: string) {
    const s = em().store.createSession({ lineItems: items(3).map((i) => ({ ...i, ...ACCESS })) }, account);
    await em().webhooks.send(em().store.complete(s.id, { paymentStatus: 'paid' }, account));
    await waitForStatus(stack, s.id, 'fulfilled');
    const stored = em().store.peek(s.id) as { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] };
    return { id: s.id, pi: stored.session.payment_intent as string, lines: stored.lineItems.map((l) => l.id), total: stored.session.amount_total as number };
  }
  const refund = async (pi: string, opts: { amount?: number; lineItems?: string[] } = {}, account?: string) => {
    const created = em().refunds.create(
      { paymentIntent: pi, amount: opts.amount, metadata: opts.lineItems === undefined ? undefined : { line_items: opts.lineItems.join(',') } },
      account,
    );
    await em().webhooks.sendInOrder(created.events);
    return created;
  };
  const view = async (id: string) => (await status(stack, id)).body as Record<string, unknown> & { line_items: { id: string; access: string }[] };
  const waitView = (id: string, what: string, ok: (v: Awaited<ReturnType<typeof view>>) => boolean) =>
    waitFor(async () => {
      const v = await view(id);
      return ok(v) ? v : undefined;
    }, what);
  const drained = () =>
    waitFor(async () => {
      const c = await stack.afterSaleQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const f = await stack.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return [...Object.values(c), ...Object.values(f)].every((n) => n === 0) ? true : undefined;
    }, 'the queues to drain');
  const ledger = async (id: string) =>
    stack.db.sql<{ seq: number; kind: string; line_item_id: string | null; access: string | null; previous_access: string | null; amount_refunded: string | null; refund_state: string | null; dispute_status: string | null; stripe_object: string | null }[]>`
      select seq, kind, line_item_id, access, previous_access, amount_refunded, refund_state, dispute_status, stripe_object from order_ledger where session_id = ${id} order by seq, id`;
  const probes = async (id: string) =>
    (await stack.db.sql<{ payload: { hook: string; items: string[]; change: { seq: number } } }[]>`
      select payload from fulfillment_effects where session_id = ${id} and kind = 'hook-probe' order by id`).map((r) => r.payload);
  const revokedCodes = async (id: string) =>
    (await stack.db.sql<{ line_item_id: string }[]>`select line_item_id from access_grants where session_id = ${id} and revoked_at is not null order by line_item_id`).map((r) => r.line_item_id);

  it('a partial refund naming a line item revokes that item only: the ledger, the status API, the code and the hooks say so once', async () => {
    const o = await fulfilledOrder();
    expect(await view(o.id)).toMatchObject({ amount_refunded: 0, refund_state: 'none', dispute_status: null, access: 'active' });
    const { refund: r } = await refund(o.pi, { amount: 1001, lineItems: [o.lines[1] as string] });
    const v = await waitView(o.id, 'the refund', (x) => x.access === 'partially_revoked');
    expect(v).toMatchObject({ amount_refunded: 1001, refund_state: 'partial' });
    expect(v.line_items.map((i) => i.access)).toEqual(['active', 'revoked', 'active']);
    await drained();
    expect(await revokedCodes(o.id)).toEqual([o.lines[1]]);
    // The order page says it in the customer's words, and no longer shows the refunded item's code.
    // Codes are broken with <wbr> for narrow screens.
    const page = (await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${o.id}`)).text()).replaceAll('<wbr>', '');
    expect(page).toMatch(/Refunded \$10\.01 on \d{1,2} [A-Z][a-z]+; access to Item 2 has ended\./);
    const [code] = await stack.db.sql<{ access_code: string }[]>`select access_code from access_grants where session_id = ${o.id} and line_item_id = ${o.lines[1] as string}`;
    const [kept] = await stack.db.sql<{ access_code: string }[]>`select access_code from access_grants where session_id = ${o.id} and line_item_id = ${o.lines[0] as string}`;
    expect(page).not.toContain(code?.access_code);
    expect(page).toContain(kept?.access_code);
    expect(await probes(o.id)).toEqual([{ hook: 'revoke', items: [o.lines[1]], change: { seq: 2, items: [{ id: o.lines[1], access: 'revoked', previous: 'active', cause: r.id }] } }]);
    expect(await ledger(o.id)).toEqual([
      expect.objectContaining({ seq: 1, kind: 'fulfilled', access: 'active' }),
      expect.objectContaining({ seq: 2, kind: 'refund', amount_refunded: '1001', refund_state: 'partial' }),
      expect.objectContaining({ seq: 2, kind: 'access', line_item_id: o.lines[1], access: 'revoked', previous_access: 'active', stripe_object: r.id }),
    ]);
  });

  it('a partial refund without line_items revokes nothing: the order is partial, access stays active', async () => {
    const o = await fulfilledOrder();
    await refund(o.pi, { amount: 500 });
    const v = await waitView(o.id, 'the refund', (x) => x.refund_state === 'partial');
    expect(v).toMatchObject({ amount_refunded: 500, access: 'active' });
    await drained();
    expect(await probes(o.id)).toEqual([]);
  });

  it('a full refund revokes every item; the refund failing later gives everything back, once each', async () => {
    const o = await fulfilledOrder();
    const { refund: r } = await refund(o.pi);
    await waitView(o.id, 'the full refund', (x) => x.access === 'revoked' && x.refund_state === 'full');
    await drained();
    expect(await revokedCodes(o.id)).toHaveLength(3);
    await em().webhooks.sendInOrder(em().refunds.move(r.id, 'failed').events);
    const back = await waitView(o.id, 'the failed refund', (x) => x.access === 'active');
    expect(back).toMatchObject({ amount_refunded: 0, refund_state: 'none' });
    await drained();
    expect(await revokedCodes(o.id)).toEqual([]);
    expect((await probes(o.id)).map((p) => [p.hook, p.items.length, p.change.seq])).toEqual([
      ['revoke', 3, 2],
      ['reinstate', 3, 3],
    ]);
  });

  it('a dispute suspends (default policy), won reinstates; a stale charge.dispute.created after that changes nothing', async () => {
    const o = await fulfilledOrder();
    const opened = em().disputes.open(o.pi);
    await em().webhooks.sendInOrder(opened.events);
    const suspended = await waitView(o.id, 'the dispute', (x) => x.access === 'suspended');
    expect(suspended.dispute_status).toBe('needs_response');
    expect(suspended.line_items.every((i) => i.access === 'suspended')).toBe(true);
    await em().webhooks.sendInOrder(em().disputes.move(opened.dispute.id, 'under_review').events);
    await waitView(o.id, 'under review', (x) => x.dispute_status === 'under_review');
    await em().webhooks.sendInOrder(em().disputes.move(opened.dispute.id, 'won').events);
    await waitView(o.id, 'the dispute won', (x) => x.dispute_status === 'won' && x.access === 'active');
    await drained();
    const before = await ledger(o.id);
    // The first event again, as Stripe may redeliver it days later: the run reads `won` and changes nothing.
    await em().webhooks.send(opened.events[0] as Stripe.Event);
    await em().webhooks.send({ ...(opened.events[0] as Stripe.Event), id: `${(opened.events[0] as Stripe.Event).id}x` });
    await drained();
    expect(await ledger(o.id)).toEqual(before);
    expect((await view(o.id)).access).toBe('active');
    expect((await probes(o.id)).map((p) => p.hook)).toEqual(['revoke', 'reinstate']);
  });

  it('a pending shipment is cancelled when its item is taken back, and pending again when given back; a shipped one stays shipped', async () => {
    const s = em().store.createSession({
      lineItems: [
        { name: 'Mug', unitAmount: 1500, metadata: { fulfillment: 'shipping' } },
        { name: 'Poster', unitAmount: 900, metadata: { fulfillment: 'shipping' } },
      ],
      shippingCountries: ['US'],
    });
    await em().webhooks.send(em().store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const pi = (em().store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
    const lines = (em().store.peek(s.id) as { lineItems: Stripe.LineItem[] }).lineItems.map((l) => l.id);
    // The warehouse took the poster already.
    await stack.db.sql`update shipments set status = 'shipped' where session_id = ${s.id} and line_item_id = ${lines[1] as string}`;
    const statuses = async () =>
      (await stack.db.sql<{ line_item_id: string; status: string }[]>`select line_item_id, status from shipments where session_id = ${s.id}`).reduce<Record<string, string>>((m, r) => ({ ...m, [r.line_item_id]: r.status }), {});
    const opened = em().disputes.open(pi);
    await em().webhooks.sendInOrder(opened.events);
    await waitView(s.id, 'the dispute', (x) => x.access === 'suspended');
    expect(await statuses()).toEqual({ [lines[0] as string]: 'cancelled', [lines[1] as string]: 'shipped' });
    await em().webhooks.sendInOrder(em().disputes.move(opened.dispute.id, 'won').events);
    await waitView(s.id, 'the dispute won', (x) => x.access === 'active');
    expect(await statuses()).toEqual({ [lines[0] as string]: 'pending', [lines[1] as string]: 'shipped' });
  });

  it('a lost dispute revokes every item', async () => {
    const o = await fulfilledOrder();
    const opened = em().disputes.open(o.pi);
    await em().webhooks.sendInOrder(opened.events);
    await waitView(o.id, 'the dispute', (x) => x.access === 'suspended');
    await em().webhooks.sendInOrder(em().disputes.move(opened.dispute.id, 'lost').events);
    await waitView(o.id, 'the dispute lost', (x) => x.dispute_status === 'lost' && x.access === 'revoked');
    await drained();
    // Suspended to revoked: access was already taken back, so no hook runs again.
    expect((await probes(o.id)).map((p) => p.hook)).toEqual(['revoke']);
    expect(await revokedCodes(o.id)).toHaveLength(3);
  });

  it('an inquiry (warning_needs_response) changes no access', async () => {
    const o = await fulfilledOrder();
    await em().webhooks.sendInOrder(em().disputes.open(o.pi, { status: 'warning_needs_response' }).events);
    await waitView(o.id, 'the inquiry', (x) => x.dispute_status === 'warning_needs_response');
    await drained();
    expect((await view(o.id)).access).toBe('active');
    expect(await probes(o.id)).toEqual([]);
  });

  it('30 concurrent deliveries of each of a refund\'s events: one change, one hook call, one ledger entry', async () => {
    const o = await fulfilledOrder();
    const created = em().refunds.create({ paymentIntent: o.pi }, undefined);
    await Promise.all(Array.from({ length: 30 }, () => created.events.map((e) => em().webhooks.send(e))).flat());
    await waitView(o.id, 'the refund', (x) => x.access === 'revoked');
    await drained();
    expect((await ledger(o.id)).filter((l) => l.kind === 'refund')).toHaveLength(1);
    expect(await probes(o.id)).toHaveLength(1);
    // One job per event: the 60 deliveries collapsed into two runs.
    const runs = (await stack.afterSaleQueue.getJobs(['completed'])).filter((j) => j.data.paymentIntent === o.pi);
    expect(runs).toHaveLength(2);
  });

  it('a refund arriving before the checkout webhook: the order is fulfilled already taken back, and never active', async () => {
    const s = em().store.createSession({ lineItems: items(2).map((i) => ({ ...i, ...ACCESS })) });
    const completed = em().store.complete(s.id, { paymentStatus: 'paid' });
    const pi = (em().store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
    await refund(pi);
    const v = await waitView(s.id, 'the order fulfilled and revoked', (x) => x.status === 'fulfilled');
    expect(v).toMatchObject({ access: 'revoked', refund_state: 'full' });
    // The checkout webhook, late: nothing changes.
    await em().webhooks.send(completed);
    await drained();
    expect((await view(s.id)).access).toBe('revoked');
    expect(await revokedCodes(s.id)).toHaveLength(2);
    // One change (seq 2) is the fulfillment and its items taken back, in whatever order the rows were sent.
    const kinds = (await ledger(s.id)).map((l) => [l.seq, l.kind, l.access]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
    expect(kinds).toEqual([
      [1, 'refund', null],
      [2, 'access', 'revoked'],
      [2, 'access', 'revoked'],
      [2, 'fulfilled', 'revoked'],
    ]);
    // The order was never active: no ledger line says so, and the fulfillment's own revoke ran once.
    expect((await ledger(s.id)).some((l) => l.kind === 'access' && l.access === 'active')).toBe(false);
    expect(await probes(s.id)).toHaveLength(1);
  });

  it('refunds racing their checkout webhooks (20 orders, Stripe slowed): every order ends revoked, fulfilled once, each item taken back once', async () => {
    em().gate.knobs.latencyMs = 30;
    try {
      const orders = Array.from({ length: 20 }, () => {
        const s = em().store.createSession({ lineItems: items(2).map((i) => ({ ...i, ...ACCESS })) });
        const completed = em().store.complete(s.id, { paymentStatus: 'paid' });
        const pi = (em().store.peek(s.id) as { session: Stripe.Checkout.Session }).session.payment_intent as string;
        return { id: s.id, completed, refund: em().refunds.create({ paymentIntent: pi }, undefined).events };
      });
      await Promise.all(orders.flatMap((o) => [em().webhooks.send(o.completed), ...o.refund.map((e) => em().webhooks.send(e))]));
      for (const o of orders) await waitView(o.id, `order ${o.id} fulfilled and revoked`, (x) => x.status === 'fulfilled' && x.access === 'revoked');
      await drained();
      for (const o of orders) {
        const rows = await ledger(o.id);
        expect(rows.filter((r) => r.kind === 'fulfilled')).toHaveLength(1);
        expect(rows.filter((r) => r.kind === 'access' && r.access === 'revoked')).toHaveLength(2);
        expect(await probes(o.id)).toHaveLength(1);
        expect(await revokedCodes(o.id)).toHaveLength(2);
      }
    } finally {
      em().gate.knobs.latencyMs = 0;
    }
  });

  it('a merchant handler\'s revoke throwing: nothing of the change is kept, and the retry records it once', async () => {
    const o = await fulfilledOrder();
    throwOnce.add(o.id);
    await refund(o.pi);
    await waitView(o.id, 'the refund after the retry', (x) => x.access === 'revoked');
    await drained();
    expect(throwOnce.has(o.id)).toBe(false);
    expect(await probes(o.id)).toHaveLength(1);
    expect((await ledger(o.id)).filter((l) => l.kind === 'refund')).toHaveLength(1);
    const failed = (await stack.afterSaleQueue.getJobs(['completed'])).filter((j) => j.data.paymentIntent === o.pi && j.attemptsMade > 0);
    expect(failed.length).toBeGreaterThan(0);
  });

  it('Connect: a connected account\'s refund is read with its stripeAccount', async () => {
    const account = 'acct_1AfterSaleTest';
    const o = await fulfilledOrder(account);
    await refund(o.pi, { amount: 1000, lineItems: [o.lines[0] as string] }, account);
    const v = await waitView(o.id, 'the refund', (x) => x.access === 'partially_revoked');
    expect(v.line_items.map((i) => i.access)).toEqual(['revoked', 'active', 'active']);
  });
});
