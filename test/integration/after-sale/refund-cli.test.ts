import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const ACCESS = { metadata: { fulfillment: 'access' } };

/** `refund` and `status` through the real CLI entry point, against the emulator, the api and a worker. */
describe('CLI refund', () => {
  let stack: Stack;
  let order: { id: string; pi: string; lines: string[]; amounts: number[]; total: number };
  beforeAll(async () => {
    stack = await startStack({ backoffMs: 20 });
    const em = stack.emulator;
    const s = em.store.createSession({ lineItems: items(3).map((i) => ({ ...i, ...ACCESS })) });
    await em.webhooks.send(em.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const stored = em.store.peek(s.id) as { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] };
    order = {
      id: s.id,
      pi: stored.session.payment_intent as string,
      lines: stored.lineItems.map((l) => l.id),
      amounts: stored.lineItems.map((l) => l.amount_total),
      total: stored.session.amount_total as number,
    };
  });
  afterAll(async () => stack.close());

  const cli = (...args: string[]) => runCli(args, stack.env());
  const stripeRefunds = () => stack.emulator.refunds.list({ account: undefined, paymentIntent: order.pi, charge: undefined, created: undefined });
  const view = async () => (await status(stack, order.id)).body as { access: string; amount_refunded: number; line_items: { id: string; access: string }[] };

  it('refuses what it cannot do with a clear message, before asking Stripe anything', async () => {
    const cases: [string[], number, RegExp][] = [
      [['refund', order.id, '--amount', '12.50'], 2, /--amount must be a positive whole number of minor units/],
      [['refund', order.id, '--amount', '0'], 2, /--amount must be a positive whole number/],
      [['refund', order.id, '--amount', String(order.total + 1)], 2, /more than what is left to refund/],
      [['refund', order.id, '--items', 'li_notInThisOrder'], 2, /li_notInThisOrder is not a line item of cs_/],
      [['refund', order.id, '--items', 'price_1,li_x'], 2, /--items must be line item ids separated by commas/],
      [['refund', order.id, '--items', `${order.lines[0]},${order.lines[0]}`], 2, /names a line item twice/],
      [['refund', order.id, '--reason', 'changed_mind'], 2, /--reason must be one of duplicate, fraudulent, requested_by_customer/],
      [['refund', 'pi_123'], 2, /expected a Checkout Session id/],
      [['refund', 'cs_test_neverSeen'], 1, /no record of cs_test_neverSeen/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
    }
    expect(stripeRefunds()).toHaveLength(0);
  });

  it('refunds one line item with its metadata; a command run again refunds nothing more; status shows the ledger', async () => {
    const item = order.lines[1] as string;
    const first = await cli('refund', order.id, '--items', item, '--reason', 'requested_by_customer');
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { refund: string; amount: number; line_items: string[]; replayed: boolean; idempotency_key: string };
    expect(out).toMatchObject({ amount: order.amounts[1], line_items: [item], replayed: false, status: 'succeeded' });
    const [made] = stripeRefunds();
    expect(made).toMatchObject({ id: out.refund, amount: order.amounts[1], reason: 'requested_by_customer', metadata: { line_items: item } });

    // Stripe's events reach the service: that item only is revoked.
    const v = await waitFor(async () => {
      const x = await view();
      return x.access === 'partially_revoked' ? x : undefined;
    }, 'the refund applied');
    expect(v.amount_refunded).toBe(order.amounts[1]);
    expect(v.line_items.map((i) => i.access)).toEqual(['active', 'revoked', 'active']);
    // The same command run again (its answer was not seen): refused, naming the refund that took the item back.
    const twice = await cli('refund', order.id, '--items', item, '--reason', 'requested_by_customer');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`${item} is revoked already (by ${out.refund})`);
    expect(stripeRefunds()).toHaveLength(1);

    // An amount-only refund run twice: the same idempotency key, Stripe replays the first refund.
    const byAmount = await cli('refund', order.id, '--amount', '300');
    expect(byAmount.code, byAmount.stderr).toBe(0);
    const third = JSON.parse(byAmount.stdout) as { refund: string; idempotency_key: string };
    const replay = await cli('refund', order.id, '--amount', '300');
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ refund: third.refund, replayed: true, idempotency_key: third.idempotency_key });
    expect(replay.stderr).toContain('this request was sent before');
    expect(stripeRefunds()).toHaveLength(2);
    await waitFor(async () => ((await view()).amount_refunded === (order.amounts[1] as number) + 300 ? true : undefined), 'the second refund applied');

    const shown = await cli('status', order.id);
    expect(shown.code, shown.stderr).toBe(0);
    const ledger = (JSON.parse(shown.stdout) as { ledger: Record<string, unknown>[] }).ledger;
    expect(ledger).toEqual([
      expect.objectContaining({ seq: 1, kind: 'fulfilled', access: 'active' }),
      expect.objectContaining({ seq: 2, kind: 'refund', amount_refunded: order.amounts[1], refund_state: 'partial' }),
      expect.objectContaining({ seq: 2, kind: 'access', line_item_id: item, access: 'revoked', previous_access: 'active', stripe_object: out.refund }),
      expect.objectContaining({ seq: 3, kind: 'refund', amount_refunded: (order.amounts[1] as number) + 300, refund_state: 'partial' }),
    ]);
  });

  it('with no amount and no items, refunds all that is left: every item is revoked', async () => {
    const r = await cli('refund', order.id);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ amount: order.total - (order.amounts[1] as number) - 300, line_items: [] });
    await waitFor(async () => ((await view()).access === 'revoked' ? true : undefined), 'the full refund applied');
    const after = await cli('refund', order.id, '--amount', '1');
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('refunded in full already');
  });
});
