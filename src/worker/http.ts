import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { DEFAULT_LISTENER_LIMITS, guardIdle, listenerOptions, type ListenerLimits } from '../lib/listener-limits.js';
import { opsRoutes } from '../observability/ops-routes.js';
import type { ReadinessDeps } from '../observability/readiness.js';

/** The worker's own `/healthz`, `/readyz` and `/metrics` (WORKER_HTTP_PORT), for probes and scraping. */
export async function buildWorkerHttp(deps: { readiness: ReadinessDeps; registry: Registry; metricsToken?: string | undefined; limits?: ListenerLimits }): Promise<FastifyInstance> {
  const limits = deps.limits ?? DEFAULT_LISTENER_LIMITS;
  const app = Fastify({ logger: false, ...listenerOptions(limits) });
  guardIdle(app.server, limits);
  await app.register(opsRoutes, deps);
  return app;
}
