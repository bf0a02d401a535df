import basicAuth from '@fastify/basic-auth';
import helmet from '@fastify/helmet';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { AfterSaleQueue } from '../../queue/after-sale-queue.js';
import type { EffectsQueue } from '../../queue/effects-queue.js';
import type { FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import type { ReconcileQueue } from '../../queue/reconcile-queue.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FleetLimits } from '../fleet-limits.js';
import { clientKey } from '../client-key.js';
import { constantTimeEqual } from '../../lib/constant-time-equal.js';
import { LoginLockout } from './login-lockout.js';

const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  readonly queues: readonly (FulfillmentQueue | AfterSaleQueue | ReconcileQueue | EffectsQueue)[];
  readonly username: string;
  readonly password: string;
  /** Hide retry, clean, promote and other actions. */
  readonly readOnly: boolean;
}

/** What the api adds to the operator's settings: where failed logins are counted, and the scheme. */
export interface BullBoardWiring extends BullBoardOptions {
  readonly limits: FleetLimits;
  /** Key prefix of the lockout's counts (the queue's). Not `prefix`: Fastify reads that register option as a route prefix. */
  readonly keyPrefix: string;
  /** Whether operators reach the api over https (then browsers are told to upgrade any http request). */
  readonly https: boolean;
}

/** 10 wrong passwords per client in 15 minutes, then 15 minutes locked: ~1,000 guesses a day at most. */
const LOCKOUT = { maxFailures: 10, windowSeconds: 15 * 60, lockSeconds: 15 * 60 } as const;

/**
 * Bull Board over every queue of the service, behind HTTP Basic auth (compared in constant time) with a
 * per-client lockout after repeated failures, security headers, and nothing cached.
 */
export async function bullBoard(app: FastifyInstance, opts: BullBoardWiring): Promise<void> {
  const lockout = new LoginLockout(opts.limits, { prefix: opts.keyPrefix, ...LOCKOUT });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The board's prebuilt page carries inline style attributes and one <style> (its loading dots);
        // scripts stay 'self' only. Its Google Fonts link is left to fail: the system font is used.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // The page sets <base href="/admin/queues/"> for its relative asset paths.
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: opts.https ? [] : null,
      },
    },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  // Clients with failures on record, so that only their good login costs a write (the board polls).
  const hadFailures = new WeakSet<FastifyRequest>();
  // Before the credentials are looked at: a locked-out client learns nothing from its guesses.
  app.addHook('onRequest', async (request, reply) => {
    const { failures, lockedMs: ms } = await lockout.check(clientKey(request.ip));
    if (failures > 0) hadFailures.add(request);
    if (ms > 0) {
      request.log.warn({ ip: request.ip, retryAfterSeconds: Math.ceil(ms / 1000) }, 'operator login locked out');
      return reply
        .code(429)
        .header('retry-after', String(Math.ceil(ms / 1000)))
        .send({ error: 'login_locked', message: `too many failed logins from this client; retry in ${Math.ceil(ms / 1000)} s` });
    }
  });
  await app.register(basicAuth, {
    authenticate: { realm: 'fulfillment operators' },
    async validate(username, password, request) {
      // Both compared every time, so timing tells nothing about which one was wrong.
      const ok = [constantTimeEqual(username, opts.username), constantTimeEqual(password, opts.password)];
      if (!ok.every(Boolean)) {
        await lockout.failed(clientKey(request.ip));
        request.log.warn({ ip: request.ip }, 'operator login failed');
        throw Object.assign(new Error('wrong username or password'), { statusCode: 401 });
      }
      if (hadFailures.has(request)) await lockout.succeeded(clientKey(request.ip));
    },
  });
  app.addHook('onRequest', app.basicAuth);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    // The adapter's parameter is typed with BullMQ's Redis default; since 9.10 it serves a Queue on either
    // backend (it asks the queue, never Redis, except for the Redis panel it leaves empty on Postgres).
    queues: opts.queues.map((q) => new BullMQAdapter(q as unknown as Queue, { readOnlyMode: opts.readOnly, allowRetries: !opts.readOnly })),
    serverAdapter,
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
