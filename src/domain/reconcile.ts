import type Stripe from 'stripe';
import type { FulfillDeps } from './fulfill-checkout.js';
import { lineItemsForPage, type ProductCache } from './page-line-items.js';
import { targetStatus } from './session-status.js';

export interface ReconcileDeps {
  readonly stripe: Stripe;
  /** Which of these session ids Postgres already holds in a final state. */
  readonly finalIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Which of them failed for good on their own data and wait for an operator: running them again only fails again. */
  readonly heldIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Records a run in one transaction: the same path as the worker's (db/fulfillment-store). */
  readonly record: FulfillDeps['record'];
  /** Which of these sessions already have a run waiting in the queue (waiting, delayed, prioritized). */
  readonly queuedIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Asks for a fulfillment run of one session (the fallback when its page cannot be used). */
  readonly enqueue: (sessionId: string) => Promise<void>;
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
  /** Handed to a run, because its page could not be used. */
  readonly enqueued: number;
  /** Would have been handed to a run, but one was already waiting. */
  readonly alreadyQueued: number;
}

const PAGE = 100;
/** Sessions recorded at once: each is its own short transaction, so a few in parallel is plenty. */
const PARALLEL = 8;

/**
 * Missed webhooks and lost queue data become a delay, not a lost order, and cost Stripe next to
 * nothing: list the sessions completed within the lookback, 100 a page with their first line items
 * expanded, and record each one Postgres does not hold as final straight from the page through the
 * usual one-transaction path (exactly once however runs race). The state is Stripe's, read now, after
 * whatever event was missed. A session whose page cannot be used gets a run, unless one is waiting.
 */
export async function reconcile(lookbackMs: number, deps: ReconcileDeps): Promise<ReconcileCounts> {
  const since = Math.floor(((deps.now ?? Date.now)() - lookbackMs) / 1000);
  const counts = { listed: 0, alreadyFinal: 0, needsAttention: 0, recorded: 0, enqueued: 0, alreadyQueued: 0 };
  const products: ProductCache = new Map();
  const params: Stripe.Checkout.SessionListParams = { created: { gte: since }, status: 'complete', limit: PAGE, expand: ['data.line_items'] };
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
    if (!page.has_more || last === undefined) return counts;
    params.starting_after = last.id;
  }
}

async function reconcilePage(sessions: readonly Stripe.Checkout.Session[], products: ProductCache, deps: ReconcileDeps, counts: { recorded: number; enqueued: number; alreadyQueued: number }) {
  const paid = sessions.filter((s) => targetStatus(s, 'reconcile') === 'fulfilled');
  const items = await lineItemsForPage(deps.stripe, paid, products);
  const fallback: string[] = [];
  for (let i = 0; i < sessions.length; i += PARALLEL) {
    await Promise.all(
      sessions.slice(i, i + PARALLEL).map(async (session) => {
        const target = targetStatus(session, 'reconcile');
        const lineItems = target === 'fulfilled' ? items.get(session.id) : [];
        if (lineItems === undefined) {
          deps.onFallback?.(session.id, 'a product of its line items could not be read');
          fallback.push(session.id);
          return;
        }
        try {
          await deps.record({ session, lineItems, target, trigger: 'reconcile' });
          counts.recorded++;
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
