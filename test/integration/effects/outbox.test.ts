import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The session ids that received callbacks, one entry per request. */
function callbackSessions(receiver: CallbackReceiver): string[] {
  return receiver.received.map((r) => (JSON.parse(r.body) as { data: { session_id: string } }).data.session_id);
}
function mailSessions(smtp: SmtpReceiver, ids: readonly string[]): string[] {
  return smtp.mails.flatMap((m) => ids.filter((id) => m.raw.includes(id)));
}
const count = (list: readonly string[], id: string) => list.filter((x) => x === id).length;

async function effectRows(stack: Stack, sessionId: string) {
  return stack.db.sql<{ id: string; kind: string; status: string; attempts: number; last_code: string | null }[]>`
    select id::text, kind, status, attempts, last_code from fulfillment_effects where session_id = ${sessionId} order by kind`;
}

/** Effects end to end: real SMTP and HTTP receivers, the real deliverers, workers in process and as processes. */
describe('transactional outbox', () => {
  let smtp: SmtpReceiver;
  let receiver: CallbackReceiver;
  let stack: Stack;
  const procs: RunningProcess[] = [];

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    stack = await startStack({
      workers: 2,
      // The real deliverers, configured as in production (the stack's in-process worker roles read these too).
      effects: { smtpUrl: smtp.url, callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET, backoffMs: 100 },
    });
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await stack.close();
    await receiver.close();
    await smtp.close();
  });

  /** A worker *process* on the same stack, with the real deliverers configured by environment. */
  async function workerProcess(extra: Record<string, string> = {}): Promise<RunningProcess> {
    const p = startProcess(
      'src/entry/worker.ts',
      stack.env({ LOG_LEVEL: 'info', ...extra }),
    );
    procs.push(p);
    await waitForOutput(p, 'worker started');
    return p;
  }

  it('exactly one receipt and one callback per paid session across duplicate events, the landing page, CLI fulfill and reconciliation racing', async () => {
    const reconciler = await workerProcess({ RECONCILE_INTERVAL: '1s', RECONCILE_LOOKBACK: '1h' });
    const ids = Array.from({ length: 6 }, (_, i) => {
      const s = stack.emulator.store.createSession({ lineItems: items(2), customerEmail: `buyer${i}@example.com` });
      return s.id;
    });
    await Promise.all(
      ids.flatMap((id) => {
        const event = stack.emulator.store.complete(id, { paymentStatus: 'paid', email: `buyer-${id.slice(-6)}@example.com` });
        return [
          stack.emulator.webhooks.send(event, { duplicates: 3 }),
          fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`).then((r) => r.text()),
          // The CLI is a process of its own: three of them is race enough on a small machine.
          ...(ids.indexOf(id) < 3 ? [runCli(['fulfill', id], stack.env())] : []),
        ];
      }),
    );
    await waitFor(
      () => (ids.every((id) => count(callbackSessions(receiver), id) >= 1 && count(mailSessions(smtp, ids), id) >= 1) ? true : undefined),
      'a receipt and a callback for every session',
      60_000,
    );
    await sleep(2500); // two reconciliation rounds and several sweeps: room for any duplicate to show
    for (const id of ids) {
      expect(count(callbackSessions(receiver), id)).toBe(1);
      expect(count(mailSessions(smtp, ids), id)).toBe(1);
      expect((await effectRows(stack, id)).map((r) => [r.kind, r.status])).toEqual([
        ['callback', 'delivered'],
        ['email', 'delivered'],
      ]);
    }
    for (const r of receiver.received) expect(r.verifiedWith).toEqual([true]);
    reconciler.kill('SIGTERM');
    await reconciler.exited;
  }, 180_000);

  it('an unpaid session schedules nothing until async_payment_succeeded', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' }));
    await waitFor(async () => ((await stack.db.sql`select 1 from checkout_sessions where id = ${s.id} and status = 'awaiting_payment'`).length > 0 ? true : undefined), 'awaiting payment');
    await sleep(500);
    expect(await effectRows(stack, s.id)).toEqual([]);
    expect(count(callbackSessions(receiver), s.id)).toBe(0);
    await stack.emulator.webhooks.send(stack.emulator.store.asyncPayment(s.id, 'succeeded'));
    await waitFor(() => (count(callbackSessions(receiver), s.id) === 1 ? true : undefined), 'the callback after the payment cleared');
    await waitFor(async () => ((await effectRows(stack, s.id)).every((r) => r.status === 'delivered') ? true : undefined), 'both delivered');
  });

  it('a receiver failing then recovering gets the callback, retried with backoff and the same webhook-id', async () => {
    receiver.mode = 'fail';
    const before = receiver.received.length;
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitFor(() => (receiver.received.length >= before + 3 ? true : undefined), 'three failed attempts');
    receiver.mode = 'ok';
    await waitFor(async () => ((await effectRows(stack, s.id)).find((r) => r.kind === 'callback')?.status === 'delivered' ? true : undefined), 'delivered');
    const mine = receiver.received.slice(before).filter((r) => r.body.includes(s.id));
    expect(mine.length).toBeGreaterThanOrEqual(4);
    expect(new Set(mine.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const callback = (await effectRows(stack, s.id)).find((r) => r.kind === 'callback');
    expect(callback?.attempts).toBe(mine.length);
  });

  it('a permanent SMTP refusal is dead at once; effects retry delivers it after the fix', async () => {
    smtp.mode = 'reject';
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid', email: 'refused@example.com' }));
    const dead = await waitFor(async () => (await effectRows(stack, s.id)).find((r) => r.kind === 'email' && r.status === 'dead'), 'the email dead');
    // Dead by the refusal itself, not by the retry horizon (an hour here).
    expect(dead.last_code).toBe('smtp_recipient_rejected');
    const listed = await runCli(['effects', 'list', '--status', 'dead'], stack.env());
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id)).toContain(dead.id);

    smtp.mode = 'accept';
    const retried = await runCli(['effects', 'retry', dead.id], stack.env());
    expect(retried).toMatchObject({ code: 0 });
    await waitFor(() => (smtp.mails.some((m) => m.raw.includes(s.id)) ? true : undefined), 'the receipt after the retry');
    // The SMTP server has the message a moment before the dispatcher records the delivery.
    await waitFor(async () => (await effectRows(stack, s.id)).find((r) => r.kind === 'email' && r.status === 'delivered'), 'the email recorded delivered');
    expect(smtp.mails.filter((m) => m.raw.includes(s.id))).toHaveLength(1);
    expect(await runCli(['effects', 'retry', dead.id], stack.env())).toMatchObject({ code: 1 });
    expect(await runCli(['effects', 'retry', 'nope'], stack.env())).toMatchObject({ code: 2 });
    expect(await runCli(['effects', 'list', '--status', 'lost'], stack.env())).toMatchObject({ code: 2 });
  }, 180_000);

  it('410 disables the receiver: later callbacks to it are skipped until an operator retries', async () => {
    receiver.mode = 'gone';
    const a = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(a.id, { paymentStatus: 'paid' }));
    const dead = await waitFor(async () => (await effectRows(stack, a.id)).find((r) => r.kind === 'callback' && r.status === 'dead'), 'callback dead');
    expect(dead.last_code).toBe('callback_gone');
    const b = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(b.id, { paymentStatus: 'paid' }));
    const skipped = await waitFor(async () => (await effectRows(stack, b.id)).find((r) => r.kind === 'callback' && r.status === 'skipped'), 'callback skipped');
    expect(skipped.last_code).toBe('target_disabled');
    receiver.mode = 'ok';
    expect(await runCli(['effects', 'retry', skipped.id], stack.env())).toMatchObject({ code: 0 });
    await waitFor(() => (count(callbackSessions(receiver), b.id) >= 1 ? true : undefined), 'the callback after re-enabling');
    expect(await runCli(['effects', 'skip', dead.id], stack.env())).toMatchObject({ code: 0 });
    expect((await effectRows(stack, a.id)).find((r) => r.kind === 'callback')?.status).toBe('skipped');
  }, 120_000);

  it('a worker killed with SIGKILL mid-delivery: delivered again by another, with the same idempotency key', async () => {
    // Only the process delivers: in-process dispatchers paused, so the kill hits the one attempt.
    await Promise.all(stack.dispatchers.map((d) => d.worker.pause()));
    const victim = await workerProcess({ EFFECT_TIMEOUT_MS: '2000' });
    receiver.mode = 'slow';
    const before = receiver.received.length;
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitFor(() => (receiver.received.slice(before).some((r) => r.body.includes(s.id)) ? true : undefined), 'the callback in flight', 30_000);
    victim.kill('SIGKILL');
    await victim.exited;
    receiver.mode = 'ok';
    stack.dispatchers.forEach((d) => d.worker.resume());
    await waitFor(async () => ((await effectRows(stack, s.id)).find((r) => r.kind === 'callback')?.status === 'delivered' ? true : undefined), 'delivered after the kill', 40_000);
    const mine = receiver.received.slice(before).filter((r) => r.body.includes(s.id));
    // The receiver saw the killed attempt and the redelivery: a duplicate, which its webhook-id lets it drop.
    expect(mine).toHaveLength(2);
    expect(mine[0]?.headers['webhook-id']).toBe(mine[1]?.headers['webhook-id']);
    console.info(`SIGKILL mid-delivery: ${mine.length} requests, ${mine.length - 1} duplicate(s), same webhook-id`);
  }, 120_000);
});
