import type Stripe from 'stripe';
import type { FulfillDeps } from './fulfill-checkout.js';
import { lineItemsForPage, type ProductCache } from './page-line-items.js';
import { reconcileDecision, type ReconcileDecision } from './reconcile-decision.js';
import type { SessionStatus } from './session-status.js';
import { STRIPE_PAGE_LIMIT } from './stripe-page.js';

export interface ReconcileDeps {
  readonly stripe: Stripe;
  /** Which of these session ids Postgres already holds in a final state. */
  readonly finalIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Which of them failed for good on their own data and wait for an operator: running them again only fails again. */
  readonly heldIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Records a run in one transaction: the same path as the worker's (run/record-run.ts). */
  readonly record: FulfillDeps['record'];
  /** Which of these sessions already have a run waiting in the queue (waiting, delayed, prioritized). */
  readonly queuedIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Asks for a fulfillment run of one session (the fallback when its page cannot be used). */
  readonly enqueue: (sessionId: string, account?: string) => Promise<void>;
  /**
   * Sessions Postgres holds as awaiting payment, created before `createdBefore` (Unix seconds: outside the
   * lookback, on no list page) and not checked lately: each is retrieved alone, with its PaymentIntent.
   */
  readonly awaitingBeforeLookback?: (createdBefore: number) => Promise<readonly { id: string; account: string | null }[]>;
  readonly now?: () => number;
  readonly onProgress?: (p: ReconcileCounts) => void;
  /** A session that could not be recorded from its page, and why (for the log). */
  readonly onFallback?: (sessionId: string, reason: string) => void;
}

export interface ReconcileCounts {
  readonly listed: number;
  readonly alreadyFinal: number;
  /** Held in fulfillment_failures for an operator: neither recorded nor handed to a run. */
  readonly needsAttention: number;
  /** Recorded straight from the list page, with no request of its own. */
  readonly recorded: number;
  /** Of those recorded: sessions this run stored as expired (from the `status=expired` list). */
  readonly expired: number;
  /** Of those recorded: complete, unpaid sessions this run stored as payment_failed (their PaymentIntent says the debit failed). */
  readonly paymentFailed: number;
  /** Handed to a run, because its page could not be used. */
  readonly enqueued: number;
  /** Would have been handed to a run, but one was already waiting. */
  readonly alreadyQueued: number;
  /** Awaiting payment since before the lookback: retrieved one by one (one request each), then recorded or run. */
  readonly checkedBeforeLookback: number;
}

/** Sessions recorded at once: each is its own short transaction, so a few in parallel is plenty. */
const PARALLEL = 8;

type Counts = { -readonly [K in keyof ReconcileCounts]: number };

/**
 * Missed webhooks and lost queue data become a delay, not a lost order, and cost Stripe next to
 * nothing: list the sessions completed within the lookback, 100 a page with their first line items
 * and their PaymentIntent expanded, and record each one Postgres does not hold as final straight from
 * the page through the usual one-transaction path (exactly once however runs race). The state is
 * Stripe's, read now, after whatever event was missed. A session whose page cannot be used gets a run,
 * unless one is waiting. Then the sessions that expired within the lookback, 100 a page, recorded
 * `expired`: the unpaid states are restored too, still without a request per session.
 */
export async function reconcile(lookbackMs: number, deps: ReconcileDeps): Promise<ReconcileCounts> {
  const since = Math.floor(((deps.now ?? Date.now)() - lookbackMs) / 1000);
  const counts: Counts = { listed: 0, alreadyFinal: 0, needsAttention: 0, recorded: 0, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0 };
  const products: ProductCache = new Map();
  // The PaymentIntent (2 levels, within Stripe's 4) is where a failed delayed debit shows: expanding it
  // costs no request, where a retrieve per unpaid session would cost one each, every run, while it settles.
  await reconcileList({ created: { gte: since }, status: 'complete', limit: STRIPE_PAGE_LIMIT, expand: ['data.line_items', 'data.payment_intent'] }, products, deps, counts);
  // Only their status matters: nothing to expand. One request per 100 expired sessions in the lookback.
  await reconcileList({ created: { gte: since }, status: 'expired', limit: STRIPE_PAGE_LIMIT }, products, deps, counts);
  await reconcileBeforeLookback(since, deps, counts);
  return counts;
}

/**
 * A delayed debit can settle after the lookback (SEPA takes up to 14 days): if its settling event was lost,
 * no list page shows it. Postgres knows which sessions still await payment; each costs one retrieve (the
 * PaymentIntent expanded), and the caller bounds how many per run and how often each is checked.
 */
async function reconcileBeforeLookback(since: number, deps: ReconcileDeps, counts: Counts): Promise<void> {
  const stale = (await deps.awaitingBeforeLookback?.(since)) ?? [];
  for (const { id, account } of stale) {
    const opts = account === null ? undefined : { stripeAccount: account };
    const session = await deps.stripe.checkout.sessions.retrieve(id, { expand: ['payment_intent'] }, opts).catch((err: unknown) => {
      // Gone from Stripe (or from its account): nothing to learn; a 429 or an outage still ends the run.
      if ((err as { code?: unknown }).code !== 'resource_missing') throw err;
      deps.onFallback?.(id, 'awaiting payment, but Stripe no longer has it');
      return undefined;
    });
    if (session === undefined) continue;
    counts.checkedBeforeLookback++;
    const target = recordsAs(reconcileDecision(session));
    // Paid (or paid since): a run reads its line items and products, as for any session the page cannot serve.
    if (target === undefined || target === 'fulfilled') {
      const queued = await deps.queuedIds([id]);
      if (queued.has(id)) counts.alreadyQueued++;
      else {
        await deps.enqueue(id, account ?? undefined);
        counts.enqueued++;
      }
      continue;
    }
    // Recording `awaiting_payment` again marks it checked (updated_at): it is not retrieved again for a while.
    const outcome = await deps.record({ session, lineItems: [], target, trigger: 'reconcile', account: account ?? undefined });
    counts.recorded++;
    if (outcome.changed && outcome.status === 'expired') counts.expired++;
    if (outcome.changed && outcome.status === 'payment_failed') counts.paymentFailed++;
  }
}

async function reconcileList(params: Stripe.Checkout.SessionListParams, products: ProductCache, deps: ReconcileDeps, counts: Counts): Promise<void> {
  for (;;) {
    const page = await deps.stripe.checkout.sessions.list(params);
    counts.listed += page.data.length;
    const final = await deps.finalIds(page.data.map((s) => s.id));
    counts.alreadyFinal += final.size;
    const open = page.data.filter((s) => !final.has(s.id));
    const held = open.length === 0 ? new Set<string>() : await deps.heldIds(open.map((s) => s.id));
    counts.needsAttention += held.size;
    await reconcilePage(open.filter((s) => !held.has(s.id)), products, deps, counts);
    deps.onProgress?.({ ...counts });
    const last = page.data.at(-1);
    if (!page.has_more || last === undefined) return;
    params.starting_after = last.id;
  }
}

async function reconcilePage(sessions: readonly Stripe.Checkout.Session[], products: ProductCache, deps: ReconcileDeps, counts: Counts) {
  const decisions = new Map(sessions.map((s) => [s.id, reconcileDecision(s)]));
  const paid = sessions.filter((s) => recordsAs(decisions.get(s.id)) === 'fulfilled');
  const items = paid.length === 0 ? new Map<string, Stripe.LineItem[] | undefined>() : await lineItemsForPage(deps.stripe, paid, products);
  const fallback: string[] = [];
  for (let i = 0; i < sessions.length; i += PARALLEL) {
    await Promise.all(
      sessions.slice(i, i + PARALLEL).map(async (session) => {
        const target = recordsAs(decisions.get(session.id));
        if (target === undefined) {
          deps.onFallback?.(session.id, 'its PaymentIntent succeeded after the page was read');
          fallback.push(session.id);
          return;
        }
        const lineItems = target === 'fulfilled' ? items.get(session.id) : [];
        if (lineItems === undefined) {
          deps.onFallback?.(session.id, 'a product of its line items could not be read');
          fallback.push(session.id);
          return;
        }
        try {
          const outcome = await deps.record({ session, lineItems, target, trigger: 'reconcile' });
          counts.recorded++;
          // Counted by what this run stored: a concurrent run may have got there first with another final state.
          if (outcome.changed && outcome.status === 'expired') counts.expired++;
          if (outcome.changed && outcome.status === 'payment_failed') counts.paymentFailed++;
        } catch (err) {
          deps.onFallback?.(session.id, err instanceof Error ? err.message : String(err));
          fallback.push(session.id);
        }
      }),
    );
  }
  if (fallback.length === 0) return;
  const queued = await deps.queuedIds(fallback);
  for (const id of fallback) {
    if (queued.has(id)) counts.alreadyQueued++;
    else {
      await deps.enqueue(id);
      counts.enqueued++;
    }
  }
}

function recordsAs(decision: ReconcileDecision | undefined): SessionStatus | undefined {
  return decision !== undefined && 'record' in decision ? decision.record : undefined;
}
