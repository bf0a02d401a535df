import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (prom-client), one registry per process. The api and the worker each expose theirs
 * on `/metrics`; names are prefixed `fulfillment_` (and `stripe_` for Stripe calls).
 */
export interface Metrics {
  readonly registry: Registry;
  readonly webhooks: Counter<'type' | 'outcome'>;
  readonly signatureFailures: Counter;
  readonly enqueueSeconds: Histogram;
  readonly jobs: Counter<'result'>;
  readonly permanentFailures: Counter<'code'>;
  readonly runSeconds: Histogram<'status'>;
  readonly stripeRequests: Counter<'method' | 'endpoint' | 'status'>;
  readonly reconcileRuns: Counter<'result'>;
  readonly reconcileSessions: Counter<'outcome'>;
  readonly reconcileAfterSale: Counter<'outcome'>;
  readonly afterSaleRuns: Counter<'outcome'>;
}

export function createMetrics(service: 'api' | 'worker' | 'cli'): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhooks: new Counter({
      name: 'fulfillment_webhooks_total',
      help: 'Webhook deliveries by event type (the handled ones; other for the rest) and outcome (enqueued, ignored_type, ignored_mode, rejected, unavailable).',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    signatureFailures: new Counter({
      name: 'fulfillment_webhook_signature_failures_total',
      help: 'Webhook deliveries whose Stripe-Signature did not verify (or was missing).',
      registers: [registry],
    }),
    enqueueSeconds: new Histogram({
      name: 'fulfillment_enqueue_duration_seconds',
      help: 'Time to put a fulfillment job into Redis, as seen by the api.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    permanentFailures: new Counter({
      name: 'fulfillment_permanent_failures_total',
      help: 'Fulfillment runs failed for good by cause (poison_data: a session that needs an operator; stripe_refused; session_not_found).',
      labelNames: ['code'],
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'fulfillment_jobs_total',
      help: 'Fulfillment jobs finished by this worker, by result (completed, retried, failed).',
      labelNames: ['result'],
      registers: [registry],
    }),
    runSeconds: new Histogram({
      name: 'fulfillment_run_duration_seconds',
      help: 'Duration of one fulfillment run (Stripe calls and the Postgres transaction), by resulting status.',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    stripeRequests: new Counter({
      name: 'stripe_requests_total',
      help: 'Stripe API requests by method, endpoint (ids replaced by :id) and HTTP status (429 included).',
      labelNames: ['method', 'endpoint', 'status'],
      registers: [registry],
    }),
    reconcileRuns: new Counter({
      name: 'fulfillment_reconcile_runs_total',
      help: 'Reconciliation runs, by result (completed, failed, skipped when another run held the lock).',
      labelNames: ['result'],
      registers: [registry],
    }),
    reconcileSessions: new Counter({
      name: 'fulfillment_reconcile_sessions_total',
      help: 'Sessions seen by reconciliation, by outcome (already_final, needs_attention, recorded from the list page, recorded_expired and recorded_payment_failed: unpaid states it restored, enqueued for a run, already_queued).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    reconcileAfterSale: new Counter({
      name: 'fulfillment_reconcile_after_sale_total',
      help: 'PaymentIntents with refunds or disputes created since the last pass, by outcome (current: already recorded as Stripe has them; enqueued: handed to an after-sale run).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    afterSaleRuns: new Counter({
      name: 'fulfillment_after_sale_runs_total',
      help: 'After-sale runs (refund and dispute events), by outcome: changed (a ledger entry), unchanged, no_session (not a Checkout payment), failed (retried).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

/** `/v1/checkout/sessions/cs_test_abc/line_items` → `/v1/checkout/sessions/:id/line_items` (bounded label values). */
export function stripeEndpointLabel(path: string): string {
  return path.split('?')[0]?.replace(/\/(cs|evt|pi|acct|li|price|prod)_[A-Za-z0-9_]+/g, '/:id') ?? path;
}

/** Gauges computed at scrape time from the queue and Postgres (added by whoever owns those connections). */
export function addCollectedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  collect: () => Promise<{ labels: Record<string, string>; value: number }[]>,
): void {
  new Gauge({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { labels, value } of await collect()) this.set(labels, value);
      } catch {
        // A scrape must not fail because Redis or Postgres is down: readiness reports that.
      }
    },
  });
}
