import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FleetLimits } from '../fleet-limits.js';
import { clientKey } from '../client-key.js';
import { constantTimeEqual } from '../../lib/constant-time-equal.js';
import { LoginLockout } from './login-lockout.js';

export interface OperatorAuthOptions {
  readonly username: string;
  readonly password: string;
  /** Where the fleet counts failures (Redis or Postgres, QUEUE_BACKEND). */
  readonly limits: FleetLimits;
  /** Key prefix (the queue's): every api process and every operator page shares one failure count. */
  readonly keyPrefix: string;
}

/** 10 wrong passwords per client in 15 minutes, then 15 minutes locked: ~1,000 guesses a day at most. */
const LOCKOUT = { maxFailures: 10, windowSeconds: 15 * 60, lockSeconds: 15 * 60 } as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator who logged in (HTTP Basic auth), on operator pages once authenticated. */
    operator?: string;
  }
}

/**
 * HTTP Basic auth for the operator pages of one scope (Bull Board, the order desk): credentials compared in
 * constant time, a per-client lockout after repeated failures, counted fleet-wide (Redis or Postgres) and shared by
 * every operator page (a guess at one counts at the others).
 */
export async function operatorAuth(app: FastifyInstance, opts: OperatorAuthOptions): Promise<void> {
  const lockout = new LoginLockout(opts.limits, { prefix: opts.keyPrefix, ...LOCKOUT });
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
        .header('content-type', 'application/json; charset=utf-8')
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
      request.operator = username;
    },
  });
  app.addHook('onRequest', app.basicAuth);
}
