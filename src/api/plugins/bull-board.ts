import helmet from '@fastify/helmet';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { AfterSaleQueue } from '../../queue/after-sale-queue.js';
import type { EffectsQueue } from '../../queue/effects-queue.js';
import type { FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import type { HistoryQueue } from '../../queue/history-queue.js';
import type { ReconcileQueue } from '../../queue/reconcile-queue.js';
import type { FleetLimits } from '../fleet-limits.js';
import { operatorAuth } from './operator-auth.js';

const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  readonly queues: readonly (FulfillmentQueue | AfterSaleQueue | ReconcileQueue | EffectsQueue | HistoryQueue)[];
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

/**
 * Bull Board over every queue of the service, behind the operators' HTTP Basic auth and lockout
 * (operator-auth.ts, shared with the order desk), security headers, and nothing cached.
 */
export async function bullBoard(app: FastifyInstance, opts: BullBoardWiring): Promise<void> {
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

  await operatorAuth(app, { username: opts.username, password: opts.password, limits: opts.limits, keyPrefix: opts.keyPrefix });

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
