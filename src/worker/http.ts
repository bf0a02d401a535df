import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { opsRoutes } from '../observability/ops-routes.js';
import type { ReadinessDeps } from '../observability/readiness.js';

/** The worker's own `/healthz`, `/readyz` and `/metrics` (WORKER_HTTP_PORT), for probes and scraping. */
export async function buildWorkerHttp(deps: { readiness: ReadinessDeps; registry: Registry; metricsToken?: string | undefined }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(opsRoutes, deps);
  return app;
}
