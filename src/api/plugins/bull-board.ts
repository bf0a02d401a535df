import basicAuth from '@fastify/basic-auth';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { constantTimeEqual } from '../constant-time-equal.js';

export const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  readonly queues: readonly Queue[];
  readonly username: string;
  readonly password: string;
  /** Hide retry, clean, promote and other actions. */
  readonly readOnly: boolean;
}

/** Bull Board over every queue of the service, behind HTTP Basic auth (compared in constant time). */
export async function bullBoard(app: FastifyInstance, opts: BullBoardOptions): Promise<void> {
  await app.register(basicAuth, {
    authenticate: { realm: 'fulfillment operators' },
    async validate(username, password) {
      // Both compared every time, so timing tells nothing about which one was wrong.
      const ok = [constantTimeEqual(username, opts.username), constantTimeEqual(password, opts.password)];
      if (!ok.every(Boolean)) throw Object.assign(new Error('wrong username or password'), { statusCode: 401 });
    },
  });
  app.addHook('onRequest', app.basicAuth);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: opts.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: opts.readOnly, allowRetries: !opts.readOnly })),
    serverAdapter,
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
