import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { constantTimeEqual } from '../lib/constant-time-equal.js';
import { checkReadiness, type ReadinessDeps } from './readiness.js';

export interface OpsRouteOptions {
  readonly readiness: ReadinessDeps;
  readonly registry: Registry;
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  readonly metricsToken?: string | undefined;
}

/** `/healthz` (the process is alive), `/readyz` (its dependencies are), `/metrics` (Prometheus). Shared by api and worker. */
export async function opsRoutes(app: FastifyInstance, opts: OpsRouteOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const r = await checkReadiness(opts.readiness);
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'unavailable', checks: r.checks });
  });

  app.get('/metrics', async (request, reply) => {
    if (opts.metricsToken !== undefined && !bearerMatches(request.headers.authorization, opts.metricsToken)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'metrics need the bearer token' });
    }
    const body = await opts.registry.metrics();
    return reply.header('content-type', opts.registry.contentType).send(body);
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  return constantTimeEqual(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '', token);
}
