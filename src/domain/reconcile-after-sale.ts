import type Stripe from 'stripe';
import type { AfterSaleFacts } from './after-sale-policy.js';
import { STRIPE_PAGE_LIMIT } from './stripe-page.js';

/** Seconds listed again before the last pass's start: a refund created as that pass began may not have been listed yet. */
export const CURSOR_OVERLAP_S = 120;

export interface AfterSaleReconcileDeps {
  readonly stripe: Stripe;
  /** The accounts to list: null for the platform's own, then every connected account the service has seen. */
  readonly accounts: () => Promise<readonly (string | null)[]>;
  /** When the last complete pass over this account began (Unix seconds), if one is remembered. */
  readonly lastPass: (account: string | null) => Promise<number | undefined>;
  readonly rememberPass: (account: string | null, startedAt: number) => Promise<void>;
  /** The facts the last run read for these PaymentIntents (null: recorded, never read; absent: no session holds it). */
  readonly storedFacts: (paymentIntents: readonly string[]) => Promise<ReadonlyMap<string, AfterSaleFacts | null>>;
  /** Asks for an after-sale run of this PaymentIntent (its job id is this pass's own); `objectId` is what the ledger names as its cause. */
  readonly enqueue: (paymentIntent: string, account: string | null, objectId: string) => Promise<void>;
  readonly now?: () => number;
}

export interface AfterSaleReconcileCounts {
  readonly accounts: number;
  readonly refundsListed: number;
  readonly disputesListed: number;
  /** PaymentIntents whose listed refunds and disputes were already recorded as Stripe has them: no run. */
  readonly current: number;
  /** PaymentIntents handed to an after-sale run (a lost or late refund or dispute webhook). */
  readonly enqueued: number;
}

type Counts = { -readonly [K in keyof AfterSaleReconcileCounts]: number };
type Listed = { readonly id: string; readonly status: string | null; readonly payment_intent: string | { id: string } | null };

/**
 * A lost refund or dispute webhook is found like a lost checkout webhook: per account, list the refunds and
 * disputes created since the last pass began (100 a page, `created[gte]`; the lookback when no pass is
 * remembered) and hand each PaymentIntent whose objects differ from what its order last read to an after-sale
 * run, which reads Stripe's state again and records it exactly once. Objects already recorded cost nothing
 * more than their share of a list page. The cursor moves only once an account's pass went through: a failed
 * pass lists the same range again.
 */
export async function reconcileAfterSale(lookbackMs: number, deps: AfterSaleReconcileDeps): Promise<AfterSaleReconcileCounts> {
  const now = (deps.now ?? Date.now)();
  const startedAt = Math.floor(now / 1000);
  const counts: Counts = { accounts: 0, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 };
  for (const account of await deps.accounts()) {
    const last = await deps.lastPass(account);
    const since = last === undefined ? Math.floor((now - lookbackMs) / 1000) : last - CURSOR_OVERLAP_S;
    const opts = account === null ? undefined : { stripeAccount: account };
    const params = { created: { gte: since }, limit: STRIPE_PAGE_LIMIT };
    // Page by page (the SDK's auto-pagination, 100 a request): memory stays one page whatever the range holds.
    const seen = new Set<string>();
    for await (const page of pages(deps.stripe.refunds.list(params, opts))) {
      counts.refundsListed += page.length;
      await settle(page, account, seen, deps, counts);
    }
    for await (const page of pages(deps.stripe.disputes.list(params, opts))) {
      counts.disputesListed += page.length;
      await settle(page, account, seen, deps, counts);
    }
    counts.accounts++;
    await deps.rememberPass(account, startedAt);
  }
  return counts;
}

/** Hands each PaymentIntent of the page whose objects are not recorded as listed to a run, once per pass. */
async function settle(page: readonly Listed[], account: string | null, seen: Set<string>, deps: AfterSaleReconcileDeps, counts: Counts): Promise<void> {
  const byIntent = groupByIntent(page);
  // A PaymentIntent already handed to this pass's run (by a refund page) needs no second look for its dispute.
  for (const pi of seen) byIntent.delete(pi);
  if (byIntent.size === 0) return;
  const stored = await deps.storedFacts([...byIntent.keys()]);
  for (const [pi, objects] of byIntent) {
    const unrecorded = firstUnrecorded(objects, stored.get(pi));
    if (unrecorded === undefined) {
      counts.current++;
      continue;
    }
    seen.add(pi);
    await deps.enqueue(pi, account, unrecorded.id);
    counts.enqueued++;
  }
}

/** The items of an auto-paginated list, in arrays of one request's page. */
async function* pages<T>(list: AsyncIterable<T>): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const item of list) {
    page.push(item);
    if (page.length === STRIPE_PAGE_LIMIT) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

function groupByIntent(objects: readonly Listed[]): Map<string, Listed[]> {
  const out = new Map<string, Listed[]>();
  for (const o of objects) {
    const pi = typeof o.payment_intent === 'string' ? o.payment_intent : o.payment_intent?.id;
    // A refund of a bare charge (no PaymentIntent) was never a Checkout payment.
    if (pi === undefined) continue;
    out.set(pi, [...(out.get(pi) ?? []), o]);
  }
  return out;
}

/** The first listed object that is not in the facts the order last read with the same status, if any. */
function firstUnrecorded(objects: readonly Listed[], facts: AfterSaleFacts | null | undefined): Listed | undefined {
  const known = new Map<string, string>([...(facts?.refunds ?? []), ...(facts?.disputes ?? [])].map((f) => [f.id, f.status]));
  // A refund without a status is read as `pending` (after-sale-run.ts reads it so).
  return objects.find((o) => known.get(o.id) !== (o.status ?? 'pending'));
}
