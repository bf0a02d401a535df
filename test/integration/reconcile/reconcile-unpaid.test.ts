import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { sample } from '../../helpers/prometheus.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack } from '../../helpers/stack.js';

/**
 * Lost events of unpaid sessions: reconciliation restores their state from its list pages too (an
 * expired session, a failed delayed debit), with no request per session and no effect for any of them.
 */
describe('reconciliation restores unpaid states', () => {
  const procs: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  });

  it('expired and failed-debit sessions whose events never came: recorded expired and payment_failed, pending debits stay awaiting, none twice', { timeout: 120_000 }, async () => {
    const stack = await startStack({ workers: 0 });
    try {
      const { store, webhooks } = stack.emulator;
      const port = await freePort();
      const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', WORKER_HTTP_PORT: String(port) }));
      procs.push(worker);
      await waitForOutput(worker, 'worker started');

      const paid = store.createSession({ lineItems: items(2) }).id;
      store.complete(paid, { paymentStatus: 'paid' });
      const expired = store.createSession({ lineItems: items(1) }).id;
      store.expire(expired);
      // A debit that failed: neither its `completed` nor its `async_payment_failed` event came.
      const failedUnknown = store.createSession({ lineItems: items(3) }).id;
      store.complete(failedUnknown, { paymentStatus: 'unpaid' });
      store.asyncPayment(failedUnknown, 'failed');
      // A debit Postgres holds as awaiting payment (its `completed` event came), whose failure event was lost.
      const failedAwaiting = store.createSession({ lineItems: items(1) }).id;
      await webhooks.send(store.complete(failedAwaiting, { paymentStatus: 'unpaid' }));
      await waitForStatus(stack, failedAwaiting, 'awaiting_payment');
      store.asyncPayment(failedAwaiting, 'failed');
      // Still processing at the bank, and a debit that succeeded: both events lost.
      const pending = store.createSession({ lineItems: items(1) }).id;
      store.complete(pending, { paymentStatus: 'unpaid' });
      const succeeded = store.createSession({ lineItems: items(2) }).id;
      store.complete(succeeded, { paymentStatus: 'unpaid' });
      store.asyncPayment(succeeded, 'succeeded');
      // Still open: not Stripe's final word on anything, not listed.
      const open = store.createSession({ lineItems: items(1) }).id;
      stack.emulator.gate.resetStats();

      const cli = await runCli(['reconcile', '--since', '1h', '--wait', '2m'], stack.env());
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual({ listed: 6, alreadyFinal: 0, needsAttention: 0, recorded: 6, expired: 1, paymentFailed: 2, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      // From the pages alone: one list of complete sessions (PaymentIntents expanded), one of expired ones.
      const served = stack.emulator.gate.stats.servedByEndpoint;
      expect(served['GET /v1/checkout/sessions']).toBe(2);
      expect(served['GET /v1/payment_intents/:id'] ?? 0).toBe(0);
      expect(served['GET /v1/checkout/sessions/:id'] ?? 0).toBe(0);

      // The operator sees the restored unpaid states apart from the rest: each session counted once.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect([
        sample(metrics, 'fulfillment_reconcile_sessions_total', { outcome: 'recorded' }),
        sample(metrics, 'fulfillment_reconcile_sessions_total', { outcome: 'recorded_expired' }),
        sample(metrics, 'fulfillment_reconcile_sessions_total', { outcome: 'recorded_payment_failed' }),
      ]).toEqual([3, 1, 2]);

      const sql = stack.db.sql;
      const ids = [paid, expired, failedUnknown, failedAwaiting, pending, succeeded, open];
      const rows = await sql<{ id: string; status: string; items: number; effects: number }[]>`
        select s.id, s.status,
               (select count(*)::int from checkout_line_items l where l.session_id = s.id) as items,
               (select count(*)::int from fulfillment_effects f where f.session_id = s.id) as effects
        from checkout_sessions s where s.id in ${sql(ids)}`;
      const byId = Object.fromEntries(rows.map((r) => [r.id, { status: r.status, items: r.items, effects: r.effects > 0 }]));
      expect(byId).toEqual({
        [paid]: { status: 'fulfilled', items: 2, effects: true },
        [expired]: { status: 'expired', items: 0, effects: false },
        // A failed debit found by reconciliation still tells the customer: one email effect (issue 19 item 11).
        [failedUnknown]: { status: 'payment_failed', items: 0, effects: true },
        [failedAwaiting]: { status: 'payment_failed', items: 0, effects: true },
        [pending]: { status: 'awaiting_payment', items: 0, effects: false },
        [succeeded]: { status: 'fulfilled', items: 2, effects: true },
      });
      expect(byId[open]).toBeUndefined();

      // The next run finds the unpaid states final: only the pending debit is looked at again (still awaiting).
      const again = await runCli(['reconcile', '--since', '1h'], stack.env());
      expect(JSON.parse(again.stdout)).toEqual({ listed: 6, alreadyFinal: 5, needsAttention: 0, recorded: 1, expired: 0, paymentFailed: 0, enqueued: 0, alreadyQueued: 0, checkedBeforeLookback: 0, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      const [dup] = await sql<{ n: number }[]>`
        select (select count(*) - count(distinct id) from checkout_sessions)
             + (select count(*) - count(distinct (session_id, id)) from checkout_line_items) as n`;
      expect(Number(dup?.n)).toBe(0);
      const [reruns] = await sql<{ n: number }[]>`select count(*)::int as n from checkout_sessions where id in ${sql([expired, failedUnknown])} and attempt_count <> 1`;
      expect(reruns?.n).toBe(0);
      worker.kill('SIGTERM');
      await worker.exited;
    } finally {
      await stack.close();
    }
  });
  it('debits awaiting payment since before the lookback: one retrieve each, failed → payment_failed, succeeded → a run, pending not asked again within the hour', { timeout: 120_000 }, async () => {
    const stack = await startStack({ workers: 0 });
    try {
      const { store, webhooks } = stack.emulator;
      const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info' }));
      procs.push(worker);
      await waitForOutput(worker, 'worker started');
      // Three SEPA-like debits created four days ago, each held as awaiting payment (their `completed` event came).
      const fourDaysAgo = Math.floor(Date.now() / 1000) - 4 * 86_400;
      const [failed, succeeded, pending] = Array.from({ length: 3 }, () => {
        const s = store.createSession({ lineItems: items(2) });
        const stored = store.peek(s.id);
        if (stored === undefined) throw new Error('session not stored');
        stored.session.created = fourDaysAgo;
        return s.id;
      }) as [string, string, string];
      for (const id of [failed, succeeded, pending]) {
        await webhooks.send(store.complete(id, { paymentStatus: 'unpaid' }));
        await waitForStatus(stack, id, 'awaiting_payment');
      }
      // They settle today; both events are lost. Nothing has touched the rows for two hours.
      store.asyncPayment(failed, 'failed');
      store.asyncPayment(succeeded, 'succeeded');
      const sql = stack.db.sql;
      await sql`update checkout_sessions set updated_at = now() - interval '2 hours' where id in ${sql([failed, succeeded, pending])}`;
      stack.emulator.gate.resetStats();

      const cli = await runCli(['reconcile', '--since', '72h', '--wait', '2m'], stack.env());
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual({ listed: 0, alreadyFinal: 0, needsAttention: 0, recorded: 2, expired: 0, paymentFailed: 1, enqueued: 1, alreadyQueued: 0, checkedBeforeLookback: 3, afterSale: { accounts: 1, refundsListed: 0, disputesListed: 0, current: 0, enqueued: 0 } });
      await waitForStatus(stack, succeeded, 'fulfilled');
      expect((await waitForStatus(stack, failed, 'payment_failed')).status).toBe('payment_failed');
      expect((await waitForStatus(stack, pending, 'awaiting_payment')).status).toBe('awaiting_payment');
      // One retrieve per session checked, and the run's own for the paid one; no list page held any of them.
      const served = stack.emulator.gate.stats.servedByEndpoint;
      expect(served['GET /v1/checkout/sessions/:id']).toBe(4);

      // Checked just now: the next run leaves the pending debit alone (once an hour is enough for a debit of days).
      stack.emulator.gate.resetStats();
      const again = await runCli(['reconcile', '--since', '72h'], stack.env());
      expect(JSON.parse(again.stdout)).toMatchObject({ checkedBeforeLookback: 0, recorded: 0, enqueued: 0 });
      expect(stack.emulator.gate.stats.servedByEndpoint['GET /v1/checkout/sessions/:id'] ?? 0).toBe(0);
      worker.kill('SIGTERM');
      await worker.exited;
    } finally {
      await stack.close();
    }
  });
});
