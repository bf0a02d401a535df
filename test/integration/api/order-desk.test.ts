import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { CALLBACK_SECRET } from '../../helpers/effects-stack.js';
import { items, permanentlyFailedSession, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const admin = { username: 'support-ana', password: 'correct-horse-battery' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const auth = { authorization: basic(admin.username, admin.password) };

interface Entry {
  id: string;
  actor: string | null;
  text: string;
  detail: Record<string, unknown> & { kind: string };
}
interface OrderJson {
  session: { paymentIntent: string; status: string } | null;
  effects: { id: string; kind: string; status: string }[];
  timeline: Entry[];
  links: { stripeDashboard: string; bullBoard: string };
  csrf?: string;
}

/**
 * The order desk over HTTP (issue 22's "done when"): one paid session whose landing visit ran first, then two
 * webhook events with their own ids, and a callback that failed once then succeeded, all told on one page.
 */
describe('the order desk', () => {
  let stack: Stack;
  let receiver: CallbackReceiver;
  let session: Stripe.Checkout.Session;
  let events: Stripe.Event[];

  beforeAll(async () => {
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    // A step of 1 s: the first retry comes at least half a second after the failure the test switches on.
    stack = await startStack({ admin, effects: { callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET, backoffMs: 1000 } });
    const { store, webhooks } = stack.emulator;
    session = store.createSession({ customerEmail: 'Ada.Lovelace@Example.com', lineItems: items(2) });
    receiver.mode = 'fail';
    const first = store.complete(session.id, { paymentStatus: 'paid', email: 'Ada.Lovelace@Example.com' });
    // The customer lands before any webhook: their visit's run fulfills.
    const landing = await fetch(`${stack.apiUrl}/after-checkout?session_id=${session.id}`);
    expect(landing.status).toBe(200);
    await waitForStatus(stack, session.id, 'fulfilled');
    // Then Stripe's event, and the same news under a second event id (Stripe may send a duplicate event).
    events = [first, { ...first, id: `${first.id}dup` }];
    for (const e of events) await webhooks.send(e);
    await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 'the first callback attempt');
    receiver.mode = 'ok';
    await waitFor(() => (receiver.received.length >= 2 ? true : undefined), 'the second callback attempt');
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  const order = async (): Promise<OrderJson> => {
    const res = await fetch(`${stack.apiUrl}/admin/orders/${session.id}`, { headers: { ...auth, accept: 'application/json' } });
    expect(res.status).toBe(200);
    return (await res.json()) as OrderJson;
  };
  /** The timeline once it holds what `ready` asks for (entries written after a run are batched, a moment later). */
  const storyWith = (ready: (t: Entry[]) => boolean) => waitFor(async () => {
    const o = await order();
    return ready(o.timeline) ? o : undefined;
  }, 'the order story');

  it('tells the whole story: both event ids, the runs with their triggers and outcomes, both callback attempts', async () => {
    const o = await storyWith((t) => t.filter((e) => e.detail.kind === 'run').length >= 3 && t.some((e) => e.detail.kind === 'effect' && e.detail.result === 'delivered' && e.detail.effectKind === 'callback'));
    const kinds = (k: string) => o.timeline.filter((e) => e.detail.kind === k);
    expect(kinds('webhook').map((e) => e.detail.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    const runs = kinds('run').map((e) => ({ trigger: e.detail.trigger, outcome: e.detail.outcome, changed: e.detail.changed }));
    expect(runs).toEqual([
      { trigger: 'landing', outcome: 'fulfilled', changed: true },
      { trigger: 'checkout.session.completed', outcome: 'fulfilled', changed: false },
      { trigger: 'checkout.session.completed', outcome: 'fulfilled', changed: false },
    ]);
    expect(kinds('commit').map((e) => e.detail.status)).toEqual(['fulfilled']);
    // The after-sale ledger's lines (issue 19) are part of the story: its first, when the order was fulfilled.
    expect(kinds('ledger').map((e) => [e.detail.ledgerKind, e.detail.seq, e.text])).toEqual([['fulfilled', 1, 'Ledger #1: fulfilled, access active']]);
    const callbacks = kinds('effect').filter((e) => e.detail.effectKind === 'callback');
    expect(callbacks.map((e) => [e.detail.attempt, e.detail.result, e.detail.code])).toEqual([
      [1, 'retry', 'callback_server_error'],
      [2, 'delivered', undefined],
    ]);
    expect(callbacks[0]?.detail).toMatchObject({ reason: 'HTTP 500: database is down', nextAttemptAt: expect.any(String) });
    // Newest last, in plain words, with the links a support person needs.
    const ats = o.timeline.map((e) => Date.parse((e as unknown as { at: string }).at));
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect(kinds('run')[0]?.text).toContain('the customer landing on the success page');
    expect(o.links.stripeDashboard).toBe(`https://dashboard.stripe.com/test/checkout/sessions/${session.id}`);

    const page = await fetch(`${stack.apiUrl}/admin/orders/${session.id}`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toMatch(/style-src 'self' 'nonce-/);
    const body = await page.text();
    for (const e of events) expect(body).toContain(e.id);
    expect(body).toContain('Run 1 of 8 by the customer landing on the success page: fulfilled');
    expect(body).toContain('callback to');
    expect(body).toContain('failed (callback_server_error: HTTP 500: database is down); next attempt');
    expect(body).toContain('attempt 2: delivered');
    expect(body).toContain('<details>');
  });

  it('finds the order by email (any case), PaymentIntent, event id and session id', async () => {
    const { session: stored } = await order();
    const pi = stored?.paymentIntent ?? '';
    expect(pi).toMatch(/^pi_/);
    for (const q of ['ada.lovelace@example.COM', pi, events[1]?.id ?? '', session.id]) {
      const res = await fetch(`${stack.apiUrl}/admin/orders?q=${encodeURIComponent(q)}`, { headers: { ...auth, accept: 'application/json' } });
      expect(res.status).toBe(200);
      const found = (await res.json()) as { orders: { sessionId: string }[] };
      expect(found.orders.map((x) => x.sessionId)).toEqual([session.id]);
    }
    const html = await (await fetch(`${stack.apiUrl}/admin/orders?q=${encodeURIComponent(pi)}`, { headers: auth })).text();
    expect(html).toContain(`/admin/orders/${session.id}`);
    const bad = await fetch(`${stack.apiUrl}/admin/orders?q=${encodeURIComponent('<script>x</script>')}`, { headers: auth });
    expect(bad.status).toBe(400);
    const badBody = await bad.text();
    expect(badBody).not.toContain('<script>x');
    expect(badBody).toContain('&lt;script&gt;x');
  });

  it('answers 401 without credentials, and 403 to a POST without its CSRF token, doing nothing', async () => {
    expect((await fetch(`${stack.apiUrl}/admin/orders/${session.id}`)).status).toBe(401);
    expect((await fetch(`${stack.apiUrl}/admin/orders`)).headers.get('www-authenticate')).toContain('Basic');
    const before = await order();
    const post = (form: Record<string, string>, user = admin.username) =>
      fetch(`${stack.apiUrl}/admin/orders/${session.id}/actions`, {
        method: 'POST',
        headers: { authorization: basic(user, admin.password), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
      });
    expect((await post({ action: 'resend_receipt' })).status).toBe(403);
    expect((await post({ action: 'resend_receipt', csrf: '1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(403);
    const after = await order();
    expect(after.timeline).toHaveLength(before.timeline.length);
    expect(after.effects).toEqual(before.effects);
  });

  it('every action leaves an entry with who did it', async () => {
    const o = await order();
    const token = o.csrf ?? '';
    expect(token).not.toBe('');
    const act = async (form: Record<string, string>) => {
      const res = await fetch(`${stack.apiUrl}/admin/orders/${session.id}/actions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: token, ...form }).toString(),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      return res.headers.get('location') ?? '';
    };
    expect(await act({ action: 'rerun' })).toBe(`/admin/orders/${session.id}?done=rerun&result=queued`);
    expect(await act({ action: 'resend_receipt' })).toContain('result=done');
    const email = o.effects.find((e) => e.kind === 'email');
    const callback = o.effects.find((e) => e.kind === 'callback');
    // The receipt was recorded skipped (no SMTP here): it can be retried; the delivered callback cannot.
    expect(await act({ action: 'retry_effect', effect_id: email?.id ?? '' })).toContain('result=done');
    expect(await act({ action: 'retry_effect', effect_id: callback?.id ?? '' })).toContain('result=wrong_status');
    expect(await act({ action: 'skip_effect', effect_id: callback?.id ?? '' })).toContain('result=wrong_status');

    const told = await storyWith((t) => t.filter((e) => e.detail.kind === 'action').length >= 5 && t.filter((e) => e.detail.kind === 'run').length >= 4);
    const actions = told.timeline.filter((e) => e.detail.kind === 'action');
    expect(actions.map((e) => [e.actor, e.detail.action, e.detail.result, e.detail.via])).toEqual([
      [admin.username, 'rerun', 'queued', 'desk'],
      [admin.username, 'resend_receipt', 'done', 'desk'],
      [admin.username, 'retry_effect', 'done', 'desk'],
      [admin.username, 'retry_effect', 'wrong_status', 'desk'],
      [admin.username, 'skip_effect', 'wrong_status', 'desk'],
    ]);
    // The rerun ran, and changed nothing: the order was final.
    expect(told.timeline.filter((e) => e.detail.kind === 'run').at(-1)?.detail).toMatchObject({ trigger: 'manual', outcome: 'fulfilled', changed: false });
    // The resend is a new effect with its own key.
    expect(told.effects.filter((e) => e.kind === 'email')).toHaveLength(2);
    const page = await (await fetch(`${stack.apiUrl}/admin/orders/${session.id}?done=rerun&result=queued`, { headers: auth })).text();
    expect(page).toContain('support-ana asked for fulfillment to run again (desk): queued');
    expect(page).toContain('rerun: a run is queued');
  });

  it('lists an order with a dead effect among those needing attention', async () => {
    const other = stack.emulator.store.createSession({ lineItems: items(1) });
    receiver.mode = 'gone';
    await stack.emulator.webhooks.send(stack.emulator.store.complete(other.id, { paymentStatus: 'paid' }));
    await waitFor(async () => {
      const [row] = await stack.db.sql<{ status: string }[]>`select status from fulfillment_effects where session_id = ${other.id} and kind = 'callback'`;
      return row?.status === 'dead' ? true : undefined;
    }, 'the callback to die');
    const res = await fetch(`${stack.apiUrl}/admin/orders`, { headers: { ...auth, accept: 'application/json' } });
    const { attention } = (await res.json()) as { attention: { sessionId: string; attention: string[] }[] };
    expect(attention[0]).toMatchObject({ sessionId: other.id, attention: ['dead_effects'] });
    expect(attention.some((a) => a.sessionId === session.id)).toBe(false);
  });

  it('lists a session whose signed webhook failed for good, not an id a stranger typed into the landing page', async () => {
    const failed = await permanentlyFailedSession(stack);
    const guess = 'cs_test_aStrangersGuess0000000000000000000000000000000000000000000';
    await fetch(`${stack.apiUrl}/after-checkout?session_id=${guess}`);
    const attentionNow = async () => {
      const res = await fetch(`${stack.apiUrl}/admin/orders`, { headers: { ...auth, accept: 'application/json' } });
      return ((await res.json()) as { attention: { sessionId: string; attention: string[] }[] }).attention;
    };
    const listed = await waitFor(async () => {
      const a = await attentionNow();
      return a.some((x) => x.sessionId === failed.id) ? a : undefined;
    }, 'the failed session on the attention list');
    expect(listed.find((x) => x.sessionId === failed.id)?.attention).toEqual(['failed_for_good']);
    // The guess's run failed too (Stripe does not know it) and is in its story, but asks nothing of anyone.
    await waitFor(async () => {
      const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from order_history where session_id = ${guess} and kind = 'run'`;
      return (row?.n ?? 0) > 0 ? true : undefined;
    }, 'the guess run told');
    expect((await attentionNow()).some((x) => x.sessionId === guess)).toBe(false);
  });
});
