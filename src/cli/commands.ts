import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../config/index.js';
import { clearFailures, findFailure } from '../db/fulfillment-failures.js';
import { orderLedger } from '../db/order-ledger.js';
import { findSessionView } from '../db/session-view.js';
import { fulfillCheckout } from '../domain/fulfill-checkout.js';
import { fulfillmentHandlers } from '../fulfillment/registry.js';
import { createFulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileEvents, createReconcileQueue, requestReconcile } from '../queue/reconcile-queue.js';
import { recordRun } from '../run/record-run.js';
import { afterSaleSettings } from '../roles/after-sale-settings.js';
import { createStripeClient } from '../stripe/client.js';
import { Exit, type CliContext } from './cli-context.js';
import { stripeFailure } from './stripe-failure.js';
import { isUnreachable } from './unreachable.js';
import { printErr, printOut } from './output.js';
import { insertHistory } from '../db/order-history.js';
import { cliActor } from './order-commands.js';

/** The longest delay a Node timer honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `fulfill <session_id>`: the worker's run, here and now. */
export async function fulfill(ctx: CliContext, sessionId: string): Promise<void> {
  const { config, loaded, values } = ctx;
  const account = values.account;
  if (account !== undefined && !/^acct_[A-Za-z0-9]+$/.test(account)) throw new Exit(2, '--account must be a connected account id (acct_…)');
  const { secretKey, apiBase, maxNetworkRetries } = config.stripe;
  if (secretKey === undefined) throw new Exit(2, 'STRIPE_SECRET_KEY is needed to retrieve the session');
  const database = await ctx.db();
  const stripe = createStripeClient({ secretKey, apiBase, maxNetworkRetries });
  // The run's Stripe requests, for the order's story (this process runs nothing else).
  let requests = 0;
  stripe.on('request', () => void requests++);
  const startedAt = Date.now();
  try {
    const outcome = await fulfillCheckout(
      { sessionId, trigger: 'manual', account },
      { stripe, record: (input) => recordRun(database.sql, input, fulfillmentHandlers(config.effects), { afterSale: afterSaleSettings(config) }) },
    );
    const actor = cliActor();
    await insertHistory(database.sql, [
      { sessionId, actor: actor.name, detail: { kind: 'action', action: 'rerun', result: outcome.changed ? 'changed' : 'no_change', via: 'cli' } },
      { sessionId, detail: { kind: 'run', trigger: 'cli', attempt: 1, outcome: outcome.status, changed: outcome.changed, durationMs: Date.now() - startedAt, stripeRequests: requests } },
    ]);
    // Run by hand and through: whatever held the session for an operator is resolved.
    await clearFailures(database.sql, [sessionId]);
    const { customerEmail: _email, newEffects: _effects, ...result } = outcome;
    printOut(`${JSON.stringify(result)}\n`);
  } catch (err) {
    throw stripeFailure(err, loaded);
  }
}

/** `status <session_id>`: what Postgres holds for the session. */
export async function status(ctx: CliContext, sessionId: string): Promise<void> {
  const { db, sql } = await ctx.db();
  const [view, failure] = await Promise.all([findSessionView(db, sessionId), findFailure(db, sessionId)]);
  if (view === undefined && failure === undefined) throw new Exit(1, `no record of ${sessionId}`);
  // A poison session may have no row at all (its transaction rolled back); the failure says why.
  // The order's ledger (issue 19): what changed after the sale, when, and by which Stripe object.
  const ledger = view === undefined ? [] : await orderLedger(sql, sessionId);
  const shown = { ...(view ?? { session_id: sessionId, status: null }), ...(failure === undefined ? {} : { needs_attention: failure }), ...(ledger.length === 0 ? {} : { ledger }) };
  printOut(`${JSON.stringify(shown, null, 2)}
`);
}

/** `reconcile`: one reconciliation, run by a worker, waited for here. */
export async function reconcileNow(ctx: CliContext): Promise<void> {
  const { config, values } = ctx;
  const since = parseDuration(values.since ?? '') ?? (values.since === undefined ? config.reconcile.lookbackMs : undefined);
  if (since === undefined) throw new Exit(2, `--since must be a duration such as 90m, 24h or 3d, got ${JSON.stringify(values.since)}`);
  const wait = parseDuration(values.wait ?? '10m');
  // Node timers cap at 2^31-1 ms (~24.8 days) and treat anything longer as 1 ms: --wait 30d once gave up at once.
  if (wait === undefined || wait > MAX_TIMER_MS) {
    throw new Exit(2, `--wait must be a duration such as 30s or 10m (at most 24d), got ${JSON.stringify(values.wait)}`);
  }
  const queue = createReconcileQueue(await ctx.queues('producer'));
  ctx.onClose(() => queue.close());
  const reconcileEvents = createReconcileEvents(await ctx.queues('blocking'));
  ctx.onClose(() => reconcileEvents.close());
  await reconcileEvents.waitUntilReady();
  const job = await requestReconcile(queue, since);
  printErr(`reconciliation requested (job ${job.id}); waiting for a worker…\n`);
  // Our own timer rather than waitUntilFinished's ttl: its timeout is told apart from a failed run only by its message.
  const timeout = new AbortController();
  const timedOut = sleep(wait, 'timed_out' as const, { signal: timeout.signal }).catch(() => undefined);
  try {
    const counts = await Promise.race([job.waitUntilFinished(reconcileEvents), timedOut]);
    if (counts === 'timed_out') throw new Exit(1, `no worker finished the reconciliation within ${values.wait ?? '10m'}: is a worker running?`);
    printOut(`${JSON.stringify(counts)}\n`);
  } catch (err) {
    if (err instanceof Exit || isUnreachable(err)) throw err;
    throw new Exit(1, `reconciliation failed: ${(err as Error).message}`);
  } finally {
    timeout.abort();
  }
}

/** `retry-failed`: every failed fulfillment job back to waiting, held sessions released. */
export async function retryFailed(ctx: CliContext): Promise<void> {
  const queue = createFulfillmentQueue(await ctx.queues('producer'), ctx.config.queue);
  ctx.onClose(() => queue.close());
  const database = await ctx.db();
  const failed = await queue.getFailedCount();
  // The operator has fixed the cause: sessions held for attention may be run again (by these jobs,
  // the landing page or reconciliation); one that fails again is held again.
  const cleared = await clearFailures(database.sql);
  if (failed > 0) await queue.retryJobs({ state: 'failed', count: 1000 });
  printOut(`${JSON.stringify({ retried: failed, cleared })}\n`);
}
