import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TrafficGate } from './traffic-gate.js';
import type { SessionSpec } from './objects.js';
import type { EmulatorStore } from './store.js';
import type { WebhookSender } from './webhook-sender.js';

export interface ControlDeps {
  readonly store: EmulatorStore;
  readonly gate: TrafficGate;
  readonly webhooks: WebhookSender;
  readonly endpoints: string[];
}

const KNOBS = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    maxRps: z.number().int().min(0),
    maxEndpointRps: z.number().int().min(0),
    stripeLimits: z.enum(['off', 'by-key', 'live']),
    rateLimitRate: z.number().min(0).max(1),
    errorRate: z.number().min(0).max(1),
    resetRate: z.number().min(0).max(1),
    webhookDelayMs: z.number().int().min(0),
    asyncPaymentDelayMs: z.number().int().min(0),
    refundStatus: z.enum(['succeeded', 'pending']),
  })
  .partial()
  .strict();

/**
 * `/_emulator/*`: what Stripe's Dashboard and a paying customer would do, for scripts and the demo.
 * Not part of Stripe's API; no key needed (the emulator only listens on loopback by default).
 */
export async function controlRoutes(app: FastifyInstance, deps: ControlDeps): Promise<void> {
  const { store, gate, webhooks } = deps;

  app.post<{ Body: SessionSpec & { account?: string } }>('/_emulator/sessions', async (req) => {
    return store.createSession(req.body, req.body.account);
  });

  /** Many paid sessions at once (load tests): created, completed, and their webhooks sent. */
  app.post<{ Body: { count: number; spec: SessionSpec; send?: boolean } }>('/_emulator/sessions/batch', async (req, reply) => {
    const { count, spec } = req.body;
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) return reply.code(400).send({ error: 'count must be 1..1000000' });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const session = store.createSession(spec);
      const event = store.complete(session.id, { paymentStatus: 'paid' });
      if (req.body.send !== false) void webhooks.send(event);
      ids.push(session.id);
    }
    return { ids };
  });

  app.post<{ Params: { id: string }; Body: { payment_status?: 'paid' | 'unpaid' | 'no_payment_required'; send?: boolean } }>(
    '/_emulator/sessions/:id/complete',
    async (req) => {
      const event = store.complete(req.params.id, { paymentStatus: req.body?.payment_status ?? 'paid' }, store.peek(req.params.id)?.account);
      if (req.body?.send !== false) void webhooks.send(event);
      return event;
    },
  );

  app.post<{ Params: { id: string }; Body: { outcome: 'succeeded' | 'failed'; send?: boolean } }>(
    '/_emulator/sessions/:id/async_payment',
    async (req) => {
      const event = store.asyncPayment(req.params.id, req.body.outcome, store.peek(req.params.id)?.account);
      if (req.body.send !== false) void webhooks.send(event);
      return event;
    },
  );

  app.post<{ Params: { id: string }; Body: { send?: boolean } | undefined }>('/_emulator/sessions/:id/expire', async (req) => {
    const event = store.expire(req.params.id, store.peek(req.params.id)?.account);
    if (req.body?.send !== false) void webhooks.send(event);
    return event;
  });

  app.put('/_emulator/knobs', async (req, reply) => {
    const parsed = KNOBS.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    Object.assign(gate.knobs, parsed.data);
    return gate.knobs;
  });

  app.get('/_emulator/stats', async () => ({ ...gate.stats, deliveries: webhooks.deliveries.length }));

  app.post<{ Body: { url: string } }>('/_emulator/webhook-endpoints', async (req) => {
    deps.endpoints.push(req.body.url);
    return { endpoints: deps.endpoints };
  });
}
