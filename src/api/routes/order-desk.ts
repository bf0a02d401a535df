import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FleetLimits } from '../fleet-limits.js';
import type postgres from 'postgres';
import type Stripe from 'stripe';
import { actAndRecord, resendReceiptIn, retryEffectIn, skipEffectIn, type Actor } from '../../db/order-actions.js';
import { ordersNeedingAttention, orderTimeline, parseOrderQuery, searchOrders } from '../../db/order-desk.js';
import { findOrderRecord } from '../../db/order-record.js';
import { DESK_ACTIONS, describeEntry, OPERATOR_ACTIONS, type DeskAction } from '../../domain/order-history.js';
import { isSessionId } from '../../domain/session-id.js';
import { strictPageHeaders } from '../plugins/page-security.js';
import { sendHtml } from '../../lib/html.js';
import { FULFILLMENT_QUEUE } from '../../queue/contract.js';
import { enqueueFulfillment, type FulfillmentQueue } from '../../queue/fulfillment-queue.js';
import { DeskCsrf } from '../desk-csrf.js';
import { deskRefund } from './desk-refund.js';
import { operatorAuth } from '../plugins/operator-auth.js';
import { deskListPage } from '../views/desk-list-page.js';
import { deskOrderPage, type OrderLinks } from '../views/desk-order-page.js';

export interface OrderDeskOptions {
  readonly sql: postgres.Sql;
  readonly queue: FulfillmentQueue;
  /** The api's Stripe client: refunds are created with it (db/order-refund.ts, as the CLI's `refund`). */
  readonly stripe: Stripe;
  readonly username: string;
  readonly password: string;
  /** ADMIN_READONLY: pages without forms, and every action refused (403). */
  readonly readOnly: boolean;
  readonly limits: FleetLimits;
  readonly keyPrefix: string;
  readonly https: boolean;
  /** The configured key's mode: the Dashboard link of a session not stored yet. */
  readonly livemode: boolean;
}

const NOTICE_WORDS: Record<string, string> = {
  queued: 'a run is queued; its entry appears below once a worker took it',
  done: 'done',
  not_found: 'nothing to do it to (no such effect on this order, or no receipt to copy)',
  wrong_status: 'not possible in its current state',
  succeeded: 'Stripe made the refund; the order changes when its events come back',
  pending: 'Stripe accepted the refund (pending); the order changes when its events come back',
  replayed: 'this refund was asked for before: Stripe answered with the refund it made then',
};

const wantsJson = (request: FastifyRequest) => (request.headers.accept ?? '').includes('application/json');

/**
 * The order desk (issue 22): `/admin/orders` (search, and what needs attention) and `/admin/orders/:session_id`
 * (the order, safe actions, its story), behind the operators' Basic auth and lockout (as Bull Board), with the
 * customer pages' CSP (nonces, nothing external), nothing cached, and JSON for `Accept: application/json`.
 */
export async function orderDesk(app: FastifyInstance, opts: OrderDeskOptions): Promise<void> {
  await app.register(helmet, strictPageHeaders([], opts.https));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler((err: { statusCode?: number; message?: string }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'order desk failed');
    return reply.code(status).send({ error: status === 500 ? 'internal_error' : 'bad_request', message: status === 500 ? 'something went wrong; it was logged' : err.message });
  });
  await operatorAuth(app, { username: opts.username, password: opts.password, limits: opts.limits, keyPrefix: opts.keyPrefix });
  await app.register(formbody, { bodyLimit: 4096 });
  const csrf = new DeskCsrf(opts.password);
  const nonce = (reply: FastifyReply) => reply.cspNonce;

  app.get<{ Querystring: { q?: string } }>(
    '/admin/orders',
    { schema: { querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 400 } } } } },
    async (request, reply) => {
      const raw = request.query.q ?? '';
      const query = raw.trim() === '' ? undefined : parseOrderQuery(raw);
      const searched = raw.trim() !== '';
      const [found, attention] = await Promise.all([query === undefined ? undefined : searchOrders(opts.sql, query), searched ? [] : ordersNeedingAttention(opts.sql)]);
      if (wantsJson(request)) {
        if (searched && query === undefined) return reply.code(400).send({ error: 'bad_query', message: 'expected a session id, PaymentIntent, event id or email' });
        return reply.send(searched ? { query: raw, orders: found ?? [] } : { attention });
      }
      return sendHtml(reply, searched && query === undefined ? 400 : 200, deskListPage({ query: raw, found: searched ? (found ?? []) : undefined, badQuery: searched && query === undefined, attention, nonce: nonce(reply) }));
    },
  );

  app.get<{ Params: { session_id: string }; Querystring: { done?: string; result?: string } }>('/admin/orders/:session_id', async (request, reply) => {
    const sessionId = request.params.session_id;
    if (!isSessionId(sessionId)) return reply.code(400).send({ error: 'bad_request', message: 'expected a Checkout Session id (cs_test_… or cs_live_…)' });
    const [record, timeline, attention] = await Promise.all([
      findOrderRecord(opts.sql, sessionId),
      orderTimeline(opts.sql, sessionId),
      searchOrders(opts.sql, { by: 'session', value: sessionId }),
    ]);
    if (record.session === null && timeline.length === 0) return reply.code(404).send({ error: 'not_found', message: `no record of ${sessionId}` });
    const links = linksFor(sessionId, record.session?.account ?? null, record.session?.livemode ?? opts.livemode, timeline);
    const token = opts.readOnly ? undefined : csrf.issue(request.operator ?? '');
    const flags = attention[0]?.attention ?? [];
    if (wantsJson(request)) {
      return reply.send({ ...record, attention: flags, links, timeline: timeline.map((e) => ({ ...e, text: describeEntry(e.detail, e.actor) })), ...(token === undefined ? {} : { csrf: token }) });
    }
    const { done, result } = request.query;
    const notice = done !== undefined && (OPERATOR_ACTIONS as readonly string[]).includes(done) && result !== undefined && NOTICE_WORDS[result] !== undefined
      ? `${done.replaceAll('_', ' ')}: ${NOTICE_WORDS[result]}`
      : undefined;
    return sendHtml(reply, 200, deskOrderPage({ sessionId, record, timeline, attention: flags, links, csrf: token, notice, nonce: nonce(reply) }));
  });

  app.post<{ Params: { session_id: string }; Body: Record<string, unknown> | undefined }>('/admin/orders/:session_id/actions', async (request, reply) => {
    const sessionId = request.params.session_id;
    const body = request.body ?? {};
    if (opts.readOnly) return reply.code(403).send({ error: 'read_only', message: 'actions are off (ADMIN_READONLY=true)' });
    // Before anything else is looked at: a forged form does nothing, and learns nothing.
    if (!csrf.verify(request.operator ?? '', body.csrf)) return reply.code(403).send({ error: 'bad_csrf_token', message: 'the form is stale or was not made by this desk for you: reload the order and try again' });
    if (!isSessionId(sessionId)) return reply.code(400).send({ error: 'bad_request', message: 'expected a Checkout Session id' });
    const action = body.action;
    if (action === 'refund') return deskRefund({ sql: opts.sql, stripe: opts.stripe }, request, reply, sessionId, body, wantsJson(request));
    if (typeof action !== 'string' || !(DESK_ACTIONS as readonly string[]).includes(action)) return reply.code(400).send({ error: 'bad_request', message: `action must be one of ${OPERATOR_ACTIONS.join(', ')}` });
    const effectId = body.effect_id;
    const needsEffect = action === 'retry_effect' || action === 'skip_effect';
    if (needsEffect && (typeof effectId !== 'string' || !/^\d{1,18}$/.test(effectId))) return reply.code(400).send({ error: 'bad_request', message: 'effect_id must be an effect id (a number)' });
    const actor: Actor = { name: request.operator ?? 'unknown', via: 'desk' };
    const done = await act(opts, sessionId, action as DeskAction, actor, needsEffect ? (effectId as string) : undefined);
    request.log.info({ sessionId, action, result: done.result, operator: actor.name }, 'order desk action');
    if (wantsJson(request)) return reply.send({ action, ...done });
    return reply.redirect(`/admin/orders/${encodeURIComponent(sessionId)}?done=${action}&result=${encodeURIComponent(done.result)}`, 303);
  });
}

/** One action in its transaction, with its entry in the order's story (db/order-actions.ts). */
async function act(opts: OrderDeskOptions, sessionId: string, action: DeskAction, actor: Actor, effectId: string | undefined) {
  return actAndRecord(opts.sql, sessionId, action, actor, async (tx) => {
    switch (action) {
      case 'rerun': {
        // The worker's run, as the CLI's `fulfill` is: a no-op once the order is final (its run says so in the story).
        const [row] = await tx<{ account: string | null }[]>`select account from checkout_sessions where id = ${sessionId}`;
        const account = row?.account ?? undefined;
        await enqueueFulfillment(opts.queue, { sessionId, trigger: 'manual', runId: randomUUID(), ...(account === undefined ? {} : { account }) });
        return { result: 'queued' };
      }
      case 'resend_receipt':
        return resendReceiptIn(tx, sessionId);
      case 'retry_effect':
        return { result: await retryEffectIn(tx, effectId ?? '', sessionId), effectId };
      case 'skip_effect':
        return { result: await skipEffectIn(tx, effectId ?? '', sessionId), effectId };
    }
  });
}

/** The session in the Stripe Dashboard (its mode, its connected account) and its jobs in Bull Board. */
function linksFor(sessionId: string, account: string | null, livemode: boolean, timeline: readonly { detail: { kind: string; jobId?: string } }[]): OrderLinks {
  const board = `/admin/queues/queue/${FULFILLMENT_QUEUE}`;
  const jobIds = [...new Set(timeline.flatMap((e) => (e.detail.kind === 'run' && e.detail.jobId !== undefined ? [e.detail.jobId] : [])))];
  return {
    stripeDashboard: `https://dashboard.stripe.com/${account === null ? '' : `${account}/`}${livemode ? '' : 'test/'}checkout/sessions/${encodeURIComponent(sessionId)}`,
    bullBoard: board,
    jobs: jobIds.map((id) => ({ id, url: `${board}/${encodeURIComponent(id)}` })),
  };
}
