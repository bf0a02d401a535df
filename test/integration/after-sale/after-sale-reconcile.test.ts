import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.js';
import { items, status, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const ACCESS = { metadata: { fulfillment: 'access' } };

/**
 * A lost refund or dispute webhook is found by reconciliation like a lost checkout webhook: the emulator's
 * refund and dispute books make the objects and their events, and the test never sends those events.
 */
describe('reconciliation after the sale', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backoffMs: 20 });
  });
  afterAll(async () => stack.close());

  const em = () => stack.emulator;
  async function fulfilledOrder(account?: string) {
    const s = em().store.createSession({ lineItems: items(2).map((i) => ({ ...i, ...ACCESS })) }, account);
    await em().webhooks.send(em().store.complete(s.id, { paymentStatus: 'paid' }, account));
    await waitForStatus(stack, s.id, 'fulfilled');
    const stored = em().store.peek(s.id) as { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] };
    return { id: s.id, pi: stored.session.payment_intent as string, lines: stored.lineItems.map((l) => l.id) };
  }
  const view = async (id: string) => (await status(stack, id)).body as Record<string, unknown>;
  const ledger = async (id: string) =>
    stack.db.sql<{ seq: number; kind: string; line_item_id: string | null; access: string | null; stripe_object: string | null; trigger: string }[]>`
      select seq, kind, line_item_id, access, stripe_object, trigger from order_ledger where session_id = ${id} order by seq, id`;
  const reconcile = async () => {
    const cli = await runCli(['reconcile', '--since', '1h', '--wait', '2m'], stack.env());
    expect(cli.code, cli.stderr).toBe(0);
    return (JSON.parse(cli.stdout) as { afterSale: Record<string, number> }).afterSale;
  };

  it('a refund whose webhooks were dropped is found by `reconcile`, applied once; the next pass finds it current', async () => {
    const o = await fulfilledOrder();
    // Stripe made the refund and its events; none reached the service.
    const dropped = em().refunds.create({ paymentIntent: o.pi, amount: 700, metadata: { line_items: o.lines[0] as string } }, undefined);
    expect(dropped.events.length).toBeGreaterThan(0);
    expect(await view(o.id)).toMatchObject({ refund_state: 'none', access: 'active' });

    expect(await reconcile()).toEqual({ accounts: 1, refundsListed: 1, disputesListed: 0, current: 0, enqueued: 1 });
    await waitFor(async () => ((await view(o.id)).access === 'partially_revoked' ? true : undefined), 'the refund applied');
    expect(await view(o.id)).toMatchObject({ amount_refunded: 700, refund_state: 'partial' });

    // A second pass lists it again (inside the cursor's overlap) and leaves it: no run, no second change.
    expect(await reconcile()).toEqual({ accounts: 1, refundsListed: 1, disputesListed: 0, current: 1, enqueued: 0 });
    expect(await ledger(o.id)).toEqual([
      expect.objectContaining({ seq: 1, kind: 'fulfilled' }),
      expect.objectContaining({ seq: 2, kind: 'refund', trigger: 'reconcile', stripe_object: dropped.refund.id }),
      expect.objectContaining({ seq: 2, kind: 'access', line_item_id: o.lines[0], access: 'revoked', stripe_object: dropped.refund.id }),
    ]);
  });

  it('Connect: a dispute on a connected account whose webhooks were dropped is found in that account\'s pass', async () => {
    const account = 'acct_1ReconcileDispute';
    const o = await fulfilledOrder(account);
    em().disputes.open(o.pi);
    const counts = await reconcile();
    // The platform's pass and the connected account's; the platform's refund of the test above is current.
    expect(counts).toMatchObject({ accounts: 2, disputesListed: 1, enqueued: 1 });
    await waitFor(async () => ((await view(o.id)).access === 'suspended' ? true : undefined), 'the dispute applied');
    expect(await view(o.id)).toMatchObject({ dispute_status: 'needs_response' });
    expect((await ledger(o.id)).filter((r) => r.kind === 'dispute')).toHaveLength(1);
  });
});
