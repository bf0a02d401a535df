import type postgres from 'postgres';
import { Counter, Gauge, type Registry } from 'prom-client';
import { addCollectedGauge } from '../observability/metrics.js';

export interface EffectMetrics {
  /** Attempts by kind and result (delivered, retry, dead, disabled, skipped). */
  readonly effects: Counter<'kind' | 'result'>;
  /** Receivers that answered 410 and are no longer called. */
  readonly targetsDisabled: Counter<'kind'>;
  /** 1 while this process holds its effects back for waiting orders (orders-first-gate.ts), else 0. */
  readonly heldBack: Gauge;
}

export function createEffectMetrics(registry: Registry): EffectMetrics {
  return {
    effects: new Counter({
      name: 'fulfillment_effects_total',
      help: 'Outbox effect attempts finished by this dispatcher, by kind and result (delivered, retry, dead, disabled, skipped).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    targetsDisabled: new Counter({
      name: 'fulfillment_effect_targets_disabled_total',
      help: 'Effect receivers disabled because they answered HTTP 410 Gone, by kind.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    heldBack: new Gauge({
      name: 'fulfillment_effects_held_back',
      help: '1 while this worker process holds its outbox back because fulfillment runs wait and it has no CPU to spare (orders first), else 0.',
      registers: [registry],
    }),
  };
}

/** Pending effects and the age of the oldest, per kind, read from Postgres at scrape time. */
export function addEffectGauges(registry: Registry, sql: postgres.Sql): void {
  const pending = () =>
    sql<{ kind: string; n: number; oldest: number }[]>`
      select kind, count(*)::int as n, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
      from fulfillment_effects where status = 'pending' group by kind`;
  addCollectedGauge(registry, 'fulfillment_effects_pending', 'Outbox effects not yet delivered, by kind.', ['kind'], async () =>
    (await pending()).map((r) => ({ labels: { kind: r.kind }, value: r.n })),
  );
  addCollectedGauge(registry, 'fulfillment_effects_oldest_pending_seconds', 'Age of the oldest pending effect, by kind.', ['kind'], async () =>
    (await pending()).map((r) => ({ labels: { kind: r.kind }, value: r.oldest })),
  );
}
