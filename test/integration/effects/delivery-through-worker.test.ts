import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { createEffectsQueue, enqueueTogether } from '../../../src/queue/effects-queue.js';
import { CALLBACK_SECRET as SECRET, startEffectsStack, type EffectsStack } from '../../helpers/effects-stack.js';
import { insertFulfilledSession } from '../../helpers/database.js';
import { orderSnapshot } from '../../helpers/orders.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { waitForStatus } from '../../helpers/sessions.js';
import { freePort } from '../../helpers/ports.js';
import { SMTP_PASS, SMTP_USER, startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The whole path as deployed: Stripe's webhook (twice) → api → queue → a real worker process that
 * fulfills, records the effects in its transaction and delivers them to a real SMTP server and a real
 * HTTP receiver that verifies the Standard Webhooks signature.
 */
describe('a paid session through a worker process: one receipt email, one signed callback', () => {
  let fx: EffectsStack;
  let stack: Stack;
  let smtp: SmtpReceiver;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    fx = await startEffectsStack();
    ({ stack, smtp, receiver } = fx);
  });
  afterAll(async () => fx.close());

  it('duplicate webhooks and the landing page together still give exactly one of each', async () => {
    const { store, webhooks } = stack.emulator;
    const session = store.createSession({
      currency: 'jpy',
      customerEmail: 'ada@example.com',
      lineItems: [
        { name: 'Sticker pack', unitAmount: 500, quantity: 3, currency: 'jpy' },
        { name: 'Tote bag', unitAmount: 1000, quantity: 2, currency: 'jpy' },
      ],
    });
    const event = store.complete(session.id, { paymentStatus: 'paid' });
    await Promise.all([webhooks.send(event), webhooks.send(event), fetch(`${stack.apiUrl}/after-checkout?session_id=${session.id}`)]);
    await waitForStatus(stack, session.id, 'fulfilled');

    // Every effect of the session settled (none pending), then count what arrived.
    const settled = await waitFor(async () => {
      const rows = await stack.db.sql<{ kind: string; status: string }[]>`
        select kind, status from fulfillment_effects where session_id = ${session.id} order by kind`;
      return rows.length > 0 && rows.every((r) => r.status !== 'pending') ? rows : undefined;
    }, 'the effects to settle');
    expect(settled).toEqual([
      { kind: 'callback', status: 'delivered' },
      { kind: 'email', status: 'delivered' },
    ]);

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail?.envelopeTo).toEqual(['ada@example.com']);
    expect(mail?.parsed.subject).toBe(`Your receipt for order ${session.id}`);
    expect(mail?.parsed.messageId).toMatch(/@shop\.example>$/);
    // The HTML's order reference may wrap between groups of eight characters (<wbr>): read it without them.
    for (const part of [mail?.parsed.text ?? '', String(mail?.parsed.html).replaceAll('<wbr>', '')]) {
      expect(part).toContain('Sticker pack');
      expect(part).toContain('¥1,500');
      expect(part).toContain('Tote bag');
      expect(part).toContain('¥2,000');
      expect(part).toContain('¥3,500');
      expect(part).toContain(session.id);
    }

    expect(receiver.received).toHaveLength(1);
    const [call] = receiver.received;
    expect(call?.verifiedWith).toEqual([true]);
    const body = JSON.parse(call?.body ?? '{}') as { type: string; data: { session_id: string; amount_total: number; line_items: unknown[] } };
    expect(body.type).toBe('order.fulfilled');
    expect(body.data.session_id).toBe(session.id);
    expect(body.data.amount_total).toBe(3500);
    expect(body.data.line_items).toHaveLength(2);

    // The run's two effects travelled in one job, which tried both.
    const queue = createEffectsQueue(stack.producer);
    try {
      const ids = (await stack.db.sql<{ id: string }[]>`select id::text from fulfillment_effects where session_id = ${session.id} order by id`).map((r) => r.id);
      const jobs = (await queue.getJobs(['completed'])).filter((j) => ids.includes(j.data.effectId) || (j.data.also ?? []).some((e) => ids.includes(e.id)));
      expect(jobs.map((j) => j.id)).toEqual([`${ids[0]}.0`]);
      expect([jobs[0]?.data.effectId, ...(jobs[0]?.data.also ?? []).map((e) => e.id)]).toEqual(ids);
      expect(jobs[0]?.returnvalue).toEqual({ outcome: 'delivered delivered' });
    } finally {
      await queue.close();
    }
  });

  it('a job whose effects are not all due yet delivers the due one now and comes back for the other, each once', async () => {
    const sessionId = 'cs_test_early_effect_in_a_shared_job';
    const order = orderSnapshot({ sessionId });
    await insertFulfilledSession(stack.db.sql, sessionId);
    // As a run commits them (job added right after), except that the callback is not due for an hour.
    const rows = await stack.db.sql<{ id: string; kind: string }[]>`
      insert into fulfillment_effects (session_id, scope, kind, target, payload, status, next_attempt_at, enqueued_at, sweep_at, created_at) values
        (${sessionId}, 'order', 'email', 'ada@example.com', ${JSON.stringify({ to: 'ada@example.com', order })}::jsonb, 'pending', now(), now(), now() + interval '30 seconds', now()),
        (${sessionId}, 'order', 'callback', ${receiver.url}, ${JSON.stringify({ url: receiver.url, order })}::jsonb, 'pending', now() + interval '1 hour', now(), now() + interval '1 hour', now())
      returning id::text, kind`;
    const effects = () =>
      stack.db.sql<{ kind: string; status: string; attempts: number }[]>`
        select kind, status, attempts from fulfillment_effects where session_id = ${sessionId} order by kind`;
    const queue = createEffectsQueue(stack.producer);
    try {
      await enqueueTogether(queue, rows);
      const jobId = `${rows[0]?.id}.0`;
      // The email goes at once; the same job then waits for the callback.
      await waitFor(async () => ((await queue.getJob(jobId))?.delay ?? 0) > 0 && (await effects())[1]?.status === 'delivered' ? true : undefined, 'the email delivered, the job delayed');
      expect(await (await queue.getJob(jobId))?.isDelayed()).toBe(true);
      expect((await effects())[0]).toEqual({ kind: 'callback', status: 'pending', attempts: 0 });
      // The callback falls due (as time would make it): the job, brought forward, delivers it.
      await stack.db.sql`update fulfillment_effects set next_attempt_at = now() where session_id = ${sessionId} and kind = 'callback'`;
      await (await queue.getJob(jobId))?.promote();
      const settled = await waitFor(async () => {
        const now = await effects();
        return now.every((r) => r.status === 'delivered') ? now : undefined;
      }, 'both effects delivered');
      expect(settled).toEqual([
        { kind: 'callback', status: 'delivered', attempts: 1 },
        { kind: 'email', status: 'delivered', attempts: 1 },
      ]);
      expect(smtp.mails.filter((m) => m.raw.includes(sessionId))).toHaveLength(1);
      expect(receiver.received.filter((r) => r.body.includes(sessionId))).toHaveLength(1);
      // On its second run the email, delivered on the first, is not claimable.
      const job = await waitFor(async () => {
        const j = await queue.getJob(jobId);
        return (await j?.isCompleted()) === true ? j : undefined;
      }, 'the shared job to complete');
      expect(job.returnvalue).toEqual({ outcome: 'not_claimable delivered' });
    } finally {
      await queue.close();
    }
  });
});

/**
 * Bad receivers do not hold up good ones: one callback URL never answers, and the SMTP server is down
 * when the session is fulfilled. The email is delivered once the server is back (same port), the good
 * callback at once, and the hanging one keeps being retried.
 */
describe('a hanging receiver and an SMTP server that is down for a while', () => {
  let stack: Stack;
  let good: CallbackReceiver;
  let hanging: CallbackReceiver;
  let smtp: SmtpReceiver | undefined;
  let worker: RunningProcess;
  let smtpPort: number;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    good = await startCallbackReceiver([SECRET]);
    hanging = await startCallbackReceiver([SECRET]);
    hanging.mode = 'slow';
    smtpPort = await freePort();
    worker = startProcess(
      'src/entry/worker.ts',
      stack.env({
        LOG_LEVEL: 'info',
        SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${smtpPort}`,
        CALLBACK_URLS: `${hanging.url},${good.url}`,
        CALLBACK_SECRET: SECRET,
        EFFECT_BACKOFF_MS: '200',
        // Each attempt at the hanging URL ends by then, so it is retried (and the worker stops) sooner.
        EFFECT_TIMEOUT_MS: '2000',
      }),
    );
    await waitForOutput(worker, 'worker started');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await Promise.all([good.close(), hanging.close(), smtp?.close()]);
    await stack.close();
  });

  it('the good callback arrives while the other hangs; the email arrives once SMTP is back', async () => {
    const { store, webhooks } = stack.emulator;
    const session = store.createSession({ customerEmail: 'ada@example.com', lineItems: [{ name: 'Book', unitAmount: 1500 }] });
    await webhooks.send(store.complete(session.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, session.id, 'fulfilled');

    await waitFor(() => (good.received.length > 0 ? true : undefined), 'the good receiver to be called');
    const effects = () => stack.db.sql<{ kind: string; target: string; status: string; attempts: number }[]>`
      select kind, target, status, attempts from fulfillment_effects where session_id = ${session.id}`;
    // The email has failed at least once against the closed port, and is still pending.
    await waitFor(async () => ((await effects()).some((e) => e.kind === 'email' && e.status === 'pending' && e.attempts >= 1) ? true : undefined), 'a failed email attempt');
    expect(hanging.received.length).toBeGreaterThanOrEqual(1);

    smtp = await startSmtpReceiver(smtpPort);
    await waitFor(() => (smtp !== undefined && smtp.mails.length > 0 ? true : undefined), 'the email once SMTP is back', 30_000);
    const rows = await waitFor(async () => {
      const r = await effects();
      return r.find((e) => e.kind === 'email')?.status === 'delivered' ? r : undefined;
    }, 'the email effect to be delivered');
    expect(rows.find((e) => e.target === good.url)?.status).toBe('delivered');
    expect(rows.find((e) => e.target === hanging.url)?.status).toBe('pending');
    expect(smtp.mails).toHaveLength(1);
    expect(good.received).toHaveLength(1);
    expect(good.received[0]?.verifiedWith).toEqual([true]);
  });
});
