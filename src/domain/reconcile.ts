import type Stripe from 'stripe';

export interface ReconcileDeps {
  readonly stripe: Stripe;
  /** Which of these session ids Postgres already holds in a final state. */
  readonly finalIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Asks for a fulfillment run of one session. */
  readonly enqueue: (sessionId: string) => Promise<void>;
  readonly now?: () => number;
  readonly onProgress?: (p: { listed: number; enqueued: number }) => void;
}

export interface ReconcileCounts {
  readonly listed: number;
  readonly alreadyFinal: number;
  readonly enqueued: number;
}

const PAGE = 100;

/**
 * Missed webhooks and lost queue data become a delay, not a lost order: list the Checkout Sessions
 * completed within the lookback (auto-paginating, newest first) and ask for a run of every one that
 * Postgres does not hold in a final state. The runs themselves are the usual idempotent ones.
 */
export async function reconcile(lookbackMs: number, deps: ReconcileDeps): Promise<ReconcileCounts> {
  const since = Math.floor(((deps.now ?? Date.now)() - lookbackMs) / 1000);
  let listed = 0;
  let alreadyFinal = 0;
  let enqueued = 0;
  let batch: string[] = [];
  const flush = async () => {
    const final = await deps.finalIds(batch);
    for (const id of batch) {
      if (final.has(id)) alreadyFinal++;
      else {
        await deps.enqueue(id);
        enqueued++;
      }
    }
    batch = [];
    deps.onProgress?.({ listed, enqueued });
  };
  for await (const session of deps.stripe.checkout.sessions.list({ created: { gte: since }, status: 'complete', limit: PAGE })) {
    listed++;
    batch.push(session.id);
    if (batch.length >= PAGE) await flush();
  }
  if (batch.length > 0) await flush();
  return { listed, alreadyFinal, enqueued };
}
