import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { isVouchedStorable, storableRun } from '../../../src/domain/storable.js';
import { allLineItems } from '../../../src/domain/page-line-items.js';
import { emulatorWithClient } from '../../helpers/emulator-client.js';
import { items } from '../../helpers/sessions.js';

/**
 * The Stripe client vouches for its answers' storability from the JSON text (stripe/vouching-http-client.ts),
 * so a run does not stringify the session again. Through the real SDK over HTTP against the emulator: a clean
 * session and its auto-paginated line items are vouched; one with a NUL or a lone surrogate typed by a
 * merchant is not, and is cleaned as before. If a new SDK stops calling the hook, the first test fails.
 */
describe('Stripe answers vouched storable from their JSON text', () => {
  const ctx = emulatorWithClient();
  const retrieve = (id: string) => ctx.stripe.checkout.sessions.retrieve(id, { expand: ['line_items.data.price.product'] });

  it('a clean session and every page of its line items take the fast path, the same objects', async () => {
    const created = ctx.emulator.store.createSession({ lineItems: items(25) });
    ctx.emulator.store.complete(created.id, { paymentStatus: 'paid' });
    const session = await retrieve(created.id);
    const lineItems = await allLineItems(ctx.stripe, session, undefined);
    expect(lineItems).toHaveLength(25);
    expect(session.line_items?.has_more).toBe(true);
    expect(isVouchedStorable(session)).toBe(true);
    // The first page rides in the session (vouched with it); the rest came in list pages of their own.
    const carried = session.line_items?.data.length ?? 0;
    expect(carried).toBeGreaterThan(0);
    expect(lineItems.slice(carried).every((item) => isVouchedStorable(item))).toBe(true);
    const run = storableRun(session, lineItems);
    expect(run.session).toBe(session);
    expect(run.lineItems).toBe(lineItems);
  });

  it.each([
    ['a NUL in a product name', { name: 'Book\u0000 of Nulls' }, 'Book of Nulls'],
    ['a lone surrogate in a product name', { name: 'Cake \uD83C' }, 'Cake '],
  ])('%s: not vouched, and cleaned as before', async (_name, spec, expected) => {
    const created = ctx.emulator.store.createSession({ lineItems: [{ ...spec, unitAmount: 1200 }] });
    ctx.emulator.store.complete(created.id, { paymentStatus: 'paid' });
    const session = await retrieve(created.id);
    const lineItems = await allLineItems(ctx.stripe, session, undefined);
    expect(isVouchedStorable(session)).toBe(false);
    const run = storableRun(session, lineItems);
    const product = run.lineItems[0]?.price?.product as Stripe.Product;
    expect(product.name).toBe(expected);
  });
});
