import { deliverersFromConfig } from '../effects/deliverers.js';
import { createEffectDispatcher } from '../effects/dispatcher.js';
import { addEffectGauges, createEffectMetrics } from '../effects/effect-metrics.js';
import { ordersFirstGate } from '../effects/orders-first-gate.js';
import { fulfillmentDeliverers } from '../fulfillment/registry.js';
import type { Base, WorkerExtensions } from './worker-parts.js';

/** The outbox dispatcher: each effect kind goes to the deliverer configured for it (none: the kind is off). */
export function effectDelivery(base: Base, extensions: WorkerExtensions) {
  const { config, log, database, backend, metrics } = base;
  const deliverers = deliverersFromConfig(config.effects, {
    log,
    publicUrl: config.landing.publicUrl,
    attemptTimeoutMs: config.effects.attemptTimeoutMs,
    extra: [...fulfillmentDeliverers(), ...(extensions.deliverers ?? [])],
  });
  addEffectGauges(metrics.registry, database.sql);
  const effectMetrics = createEffectMetrics(metrics.registry);
  // The gate below changes the dispatcher's worker, and the dispatcher asks the gate before each job: the
  // gate is bound once built (jobs run only after start, long after this).
  let admit: () => Promise<void> = async () => undefined;
  const dispatcher = createEffectDispatcher({
    admit: () => admit(),
    sql: database.sql,
    bull: backend.bull,
    link: backend.link,
    queue: base.effectsQueue,
    deliverers,
    log,
    metrics: effectMetrics,
    backoff: { baseMs: config.effects.backoffMs, horizonMs: config.effects.retryHorizonMs },
    attemptTimeoutMs: config.effects.attemptTimeoutMs,
    concurrency: config.effects.concurrency,
    history: base.history,
  });
  // Orders first: while runs wait and this process has no CPU to spare, its effects trail (orders-first-gate.ts).
  const ordersFirst = ordersFirstGate({
    worker: dispatcher.worker,
    full: config.effects.concurrency,
    fulfillmentWaiting: () => base.fulfillmentQueue.getJobCountByTypes('wait', 'prioritized'),
    log,
    held: (on) => effectMetrics.heldBack.set(on ? 1 : 0),
  });
  admit = () => ordersFirst.admit();
  return { deliverers, dispatcher, ordersFirst };
}
