import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { fulfillCheckout, type FulfillDeps } from '../../../src/domain/fulfill-checkout.js';
import type { SessionStatus } from '../../../src/domain/session-status.js';
import { EmulatorStore } from '../../../src/emulator/store.js';
import { items } from '../../helpers/sessions.js';

/**
 * The domain's decision around the pre-read: what it stored spares Stripe, and what it did not store tells the
 * recorder the session is new. The session comes through `batched` (the run's read, done by someone else), so
 * no Stripe client is involved; the SDK over HTTP is tested end to end elsewhere.
 */
describe('fulfillCheckout and the pre-read', () => {
  const emulator = new EmulatorStore(() => 'http://127.0.0.1');
  const noStripe = {} as Stripe;

  function paid(): { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[] } {
    const s = emulator.createSession({ lineItems: items(2) });
    emulator.complete(s.id, { paymentStatus: 'paid' });
    const stored = emulator.peek(s.id);
    if (stored === undefined) throw new Error('session missing');
    return { session: stored.session, lineItems: stored.lineItems };
  }

  /** Runs one webhook run with `stored` as the pre-read's answer; returns what reached the recorder (if anything). */
  async function run(stored: FulfillDeps['stored']) {
    const { session, lineItems } = paid();
    const recorded: Parameters<FulfillDeps['record']>[0][] = [];
    const outcome = await fulfillCheckout(
      { sessionId: session.id, trigger: 'checkout.session.completed', created: session.created },
      {
        stripe: noStripe,
        ...(stored === undefined ? {} : { stored }),
        batched: async () => ({ session, lineItems }),
        record: async (input) => {
          recorded.push(input);
          return { sessionId: session.id, status: input.target, changed: true, lineItemCount: input.lineItems.length };
        },
      },
    );
    return { outcome, recorded };
  }
  const storedAs = (status: SessionStatus) => async () => ({ status, customerEmail: 'jo@example.com' });

  it('nothing stored: recorded as a new session', async () => {
    const { recorded } = await run(async () => undefined);
    expect(recorded.map((r) => [r.target, r.expectNew, r.lineItems.length])).toEqual([['fulfilled', true, 2]]);
  });

  it('stored, not final (awaiting a delayed payment): recorded on the general path', async () => {
    const { recorded } = await run(storedAs('awaiting_payment'));
    expect(recorded.map((r) => [r.target, r.expectNew])).toEqual([['fulfilled', false]]);
  });

  it('stored final: answered from the store, nothing read, nothing recorded', async () => {
    const { outcome, recorded } = await run(storedAs('fulfilled'));
    expect(recorded).toEqual([]);
    expect(outcome).toMatchObject({ status: 'fulfilled', changed: false, customerEmail: 'jo@example.com' });
  });

  it('no pre-read (the CLI): never told the session is new', async () => {
    const { recorded } = await run(undefined);
    expect(recorded.map((r) => r.expectNew)).toEqual([false]);
  });
});
