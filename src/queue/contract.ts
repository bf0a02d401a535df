import type { JobsOptions } from 'bullmq';
import type { Trigger } from '../domain/trigger.js';
import type { ReconcileCounts } from '../domain/reconcile.js';
import type { AfterSaleReconcileCounts } from '../domain/reconcile-after-sale.js';
import type { AfterSaleTrigger } from '../domain/after-sale-events.js';

/**
 * The one queue contract shared by producers (api, CLI) and consumers (worker):
 * queue name, job names, payloads, job-id rules and default job options.
 */

export const FULFILLMENT_QUEUE = 'fulfillment';

// The trigger is a domain concept; re-exported because producers and consumers meet here.
export { HANDLED_EVENT_TYPES, isHandledEventType, type HandledEventType, type Trigger } from '../domain/trigger.js';

export interface FulfillJobData {
  readonly sessionId: string;
  readonly trigger: Trigger;
  /** The Stripe event id, when a webhook triggered the run. */
  readonly eventId?: string;
  /** The connected account (Stripe Connect) that owns the session; retrieves pass it as `stripeAccount`. */
  readonly account?: string;
  /**
   * The session's `created` (Unix seconds) as the signed event said: lets the worker read it with others
   * created near it in one list request (stripe/session-batcher.ts). Absent: retrieved alone.
   */
  readonly created?: number;
  /** For runs not caused by an event (reconciliation, CLI): makes each run's job id its own. */
  readonly runId?: string;
}

export interface FulfillJobResult {
  readonly sessionId: string;
  readonly status: string;
  readonly changed: boolean;
}

export const JOB_NAME = 'fulfill-checkout';

/** The reconciliation queue: one job per scheduled (or requested) run, one run at a time across the fleet. */
export const RECONCILE_QUEUE = 'reconcile';
export const RECONCILE_JOB = 'reconcile';

export interface ReconcileJobData {
  /** Sessions created this long ago or later are checked. */
  readonly lookbackMs: number;
}

/** What a reconcile job returns: reconciliation's own counts (domain/reconcile.ts). */
/** The sessions' counts, and the refunds' and disputes' (`afterSale`). */
export type ReconcileResult = ReconcileCounts & { readonly afterSale: AfterSaleReconcileCounts };

/**
 * Job ids are keyed by session *and* by what triggered the run.
 *
 * BullMQ ignores `add` when a job with the same custom id exists, completed and failed ones included
 * (https://docs.bullmq.io/guide/jobs/job-ids). Keyed by session alone, an `async_payment_succeeded`
 * arriving after the `completed` run saw `unpaid` would be dropped. Keyed by event, a redelivery of
 * the same event collapses into its job, while every new event gets a run that reads fresh state.
 * Exactly-once comes from the Postgres transaction, not from the queue. Custom ids may not contain ':'.
 */
export function jobIdFor(data: FulfillJobData): string {
  const suffix = data.eventId ?? (data.runId === undefined ? data.trigger : `${data.trigger}-${data.runId}`);
  const id = `${data.sessionId}_${suffix}`;
  if (id.includes(':')) throw new Error(`job id may not contain ':' (${id})`);
  return id;
}

/**
 * The after-sale queue (issue 19): one run per refund or dispute event, keyed by PaymentIntent. A run reads the
 * PaymentIntent's refunds and disputes as Stripe has them now and records what changed, so any number of runs
 * converge; the queue only has to make sure that a new event leads to a run.
 */
export const AFTER_SALE_QUEUE = 'after-sale';
export const AFTER_SALE_JOB = 'after-sale';

export interface AfterSaleJobData {
  readonly paymentIntent: string;
  readonly trigger: AfterSaleTrigger;
  /** The Stripe event id, when a webhook triggered the run. */
  readonly eventId?: string;
  /** The event's object (re_…, ch_…, du_…): the ledger's "by which Stripe object". */
  readonly objectId?: string;
  /** The connected account (Stripe Connect) that owns the payment; every read passes it as `stripeAccount`. */
  readonly account?: string;
  /** For runs not caused by an event (reconciliation, CLI): makes each run's job id its own. */
  readonly runId?: string;
}

export interface AfterSaleJobResult {
  readonly paymentIntent: string;
  readonly sessionId: string | null;
  /** What the run did: `changed` (a ledger entry), `unchanged`, `no_session` (not a Checkout payment). */
  readonly outcome: 'changed' | 'unchanged' | 'no_session';
  readonly seq: number | null;
}

/**
 * `<payment intent>_<event id>`: a redelivery (or 30 concurrent deliveries) of one event collapse into one
 * job; another event of the same PaymentIntent is a run of its own, which reads fresh state. Same rules as
 * jobIdFor below (no ':').
 */
export function afterSaleJobId(data: AfterSaleJobData): string {
  const suffix = data.eventId ?? (data.runId === undefined ? data.trigger : `${data.trigger}-${data.runId}`);
  const id = `${data.paymentIntent}_${suffix}`;
  if (id.includes(':')) throw new Error(`job id may not contain ':' (${id})`);
  return id;
}

/** The BullMQ prefix, wrapped in braces so that every key of every queue shares one Redis Cluster hash slot. */
export function bullPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

export function defaultJobOptions(opts: { attempts: number; backoffMs: number }): JobsOptions {
  return {
    attempts: opts.attempts,
    // Exponential with jitter so that a fleet retrying after a Stripe or Postgres outage does not stampede.
    backoff: { type: 'exponential', delay: opts.backoffMs, jitter: 0.5 },
    // Bounded: Postgres is the record; Redis keeps only enough history to collapse redeliveries and debug.
    removeOnComplete: { age: 24 * 3600, count: 50_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
