import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessChange } from '../../../src/domain/access-change.js';
import { deriveAfterSale, lineItemsOf, type AfterSaleFacts, type DisputeFact, type DisputePolicy, type RefundFact } from '../../../src/domain/after-sale-policy.js';

const ORDER = { amountTotal: 3000, lineItemIds: ['li_a', 'li_b', 'li_c'] };
const refund = (id: string, amount: number, status = 'succeeded', lineItems: string[] = [], created = 100): RefundFact => ({ id, amount, status, created, lineItems });
const dispute = (id: string, status: string, created = 200): DisputeFact => ({ id, status, created });
const derive = (facts: Partial<AfterSaleFacts>, policy: DisputePolicy = 'suspend') =>
  deriveAfterSale({ refunds: facts.refunds ?? [], disputes: facts.disputes ?? [] }, ORDER, policy);
const accessOf = (facts: Partial<AfterSaleFacts>, policy?: DisputePolicy) => derive(facts, policy).items.map((i) => i.access);

/** Every row of the policy table (README, "After the sale"). */
describe('after-sale policy', () => {
  it('nothing refunded, no dispute: every item active, refund state none', () => {
    expect(derive({})).toMatchObject({ amountRefunded: 0, refundState: 'none', disputeStatus: null, access: 'active' });
  });

  it('a full refund (one or several adding up to the total, pending counts) revokes every item, naming the refund that crossed the total', () => {
    expect(derive({ refunds: [refund('re_1', 3000)] })).toMatchObject({ amountRefunded: 3000, refundState: 'full', access: 'revoked' });
    const split = derive({ refunds: [refund('re_1', 1000, 'succeeded', [], 1), refund('re_2', 2000, 'pending', [], 2)] });
    expect(split).toMatchObject({ amountRefunded: 3000, refundState: 'full', access: 'revoked' });
    expect(split.items.map((i) => i.cause)).toEqual(['re_2', 're_2', 're_2']);
  });

  it('a partial refund naming line items revokes only those; without the metadata nothing is revoked and the order is partial', () => {
    const named = derive({ refunds: [refund('re_1', 1000, 'succeeded', ['li_b'])] });
    expect(named).toMatchObject({ amountRefunded: 1000, refundState: 'partial', access: 'partially_revoked' });
    expect(named.items).toEqual([
      { id: 'li_a', access: 'active', cause: null },
      { id: 'li_b', access: 'revoked', cause: 're_1' },
      { id: 'li_c', access: 'active', cause: null },
    ]);
    expect(derive({ refunds: [refund('re_1', 1000)] })).toMatchObject({ refundState: 'partial', access: 'active' });
    // An id the order does not have is ignored.
    expect(accessOf({ refunds: [refund('re_1', 10, 'succeeded', ['li_zzz'])] })).toEqual(['active', 'active', 'active']);
  });

  it.each(['failed', 'canceled', 'requires_action'])('a refund %s counts for nothing: what it revoked comes back', (status) => {
    expect(derive({ refunds: [refund('re_1', 3000, status)] })).toMatchObject({ amountRefunded: 0, refundState: 'none', access: 'active' });
    expect(accessOf({ refunds: [refund('re_1', 1000, status, ['li_a'])] })).toEqual(['active', 'active', 'active']);
  });

  it.each([
    ['needs_response', 'suspend', 'suspended'],
    ['under_review', 'suspend', 'suspended'],
    ['needs_response', 'revoke', 'revoked'],
    ['under_review', 'revoke', 'revoked'],
    ['needs_response', 'ignore', 'active'],
    ['under_review', 'ignore', 'active'],
    ['won', 'suspend', 'active'],
    ['won', 'revoke', 'active'],
    ['lost', 'suspend', 'revoked'],
    ['lost', 'ignore', 'revoked'],
    ['warning_needs_response', 'suspend', 'active'],
    ['warning_under_review', 'revoke', 'active'],
    ['warning_closed', 'suspend', 'active'],
  ] as const)('a dispute %s under DISPUTE_POLICY=%s leaves every item %s', (status, policy, access) => {
    const state = derive({ disputes: [dispute('du_1', status)] }, policy);
    expect(state.items.map((i) => i.access)).toEqual([access, access, access]);
    expect(state.access).toBe(access);
    expect(state.disputeStatus).toBe(status);
  });

  it('the latest dispute decides (by created, then id): an old lost one does not outweigh a newer won one', () => {
    expect(derive({ disputes: [dispute('du_old', 'lost', 1), dispute('du_new', 'won', 2)] })).toMatchObject({ disputeStatus: 'won', access: 'active' });
  });

  it('a refunded item stays revoked through a suspension of the rest', () => {
    const state = derive({ refunds: [refund('re_1', 1000, 'succeeded', ['li_a'])], disputes: [dispute('du_1', 'needs_response')] });
    expect(state.items.map((i) => i.access)).toEqual(['revoked', 'suspended', 'suspended']);
    expect(state.access).toBe('suspended');
  });

  it('line_items metadata: comma-separated ids, spaces and empty parts dropped', () => {
    expect(lineItemsOf({ line_items: ' li_a, ,li_b ' })).toEqual(['li_a', 'li_b']);
    expect(lineItemsOf({})).toEqual([]);
    expect(lineItemsOf(null)).toEqual([]);
  });

  it('the change against what is stored: revoke for active items taken back, reinstate for items given back, nothing twice', () => {
    const state = derive({ refunds: [refund('re_1', 1000, 'succeeded', ['li_a'])], disputes: [dispute('du_1', 'needs_response')] });
    const first = accessChange(new Map(), state);
    expect(first.revoke.map((c) => c.id)).toEqual(['li_a', 'li_b', 'li_c']);
    const stored = new Map(state.items.map((i) => [i.id, i.access]));
    expect(accessChange(stored, state).changed).toEqual([]);
    const won = derive({ refunds: [refund('re_1', 1000, 'succeeded', ['li_a'])], disputes: [dispute('du_1', 'won')] });
    const back = accessChange(stored, won);
    expect(back.reinstate.map((c) => c.id)).toEqual(['li_b', 'li_c']);
    expect(back.revoke).toEqual([]);
  });
});

describe('after-sale policy: any order and any duplication of the same Stripe state gives the same result', () => {
  const ids = ['li_a', 'li_b', 'li_c'];
  const refundArb = fc.record({
    id: fc.constantFrom('re_1', 're_2', 're_3', 're_4'),
    amount: fc.integer({ min: 1, max: 3000 }),
    status: fc.constantFrom('pending', 'requires_action', 'succeeded', 'failed', 'canceled'),
    created: fc.integer({ min: 1, max: 5 }),
    lineItems: fc.subarray(ids),
  });
  const disputeArb = fc.record({
    id: fc.constantFrom('du_1', 'du_2', 'du_3'),
    status: fc.constantFrom('warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost'),
    created: fc.integer({ min: 1, max: 5 }),
  });
  // One object per id: Stripe's state at one moment.
  const unique = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()];
  const shuffledWithDuplicates = <T>(xs: T[]) =>
    fc.tuple(fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }), fc.subarray(xs)).map(([order, dup]) => [...order, ...dup]);

  it('holds for every policy', () => {
    fc.assert(
      fc.property(
        fc.array(refundArb, { maxLength: 6 }).map(unique),
        fc.array(disputeArb, { maxLength: 4 }).map(unique),
        fc.constantFrom<DisputePolicy>('suspend', 'revoke', 'ignore'),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (refunds, disputes, policy, seed) => {
          const expected = deriveAfterSale({ refunds, disputes }, ORDER, policy);
          const again = fc.sample(fc.tuple(shuffledWithDuplicates(refunds), shuffledWithDuplicates(disputes)), { numRuns: 3, seed });
          for (const [r, d] of again) expect(deriveAfterSale({ refunds: r, disputes: d }, ORDER, policy)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
