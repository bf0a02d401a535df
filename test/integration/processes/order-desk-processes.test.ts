import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { createHistoryQueue, PRUNE_JOB } from '../../../src/queue/history-queue.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items, waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const admin = { username: 'ops', password: 'correct-horse-battery' };
const auth = { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}` };

/** The order desk's variables through the real entry points: ADMIN_READONLY, ORDER_HISTORY_DAYS, and its CLI commands. */
describe('order desk processes', () => {
  let stack: Stack;
  let readOnlyApi: RunningProcess;
  let url: string;
  let sessionId: string;

  beforeAll(async () => {
    stack = await startStack({ admin });
    const s = stack.emulator.store.createSession({ customerEmail: 'grace@example.com', lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    sessionId = s.id;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    readOnlyApi = startProcess('src/entry/api.ts', stack.env({ LOG_LEVEL: 'info', PORT: String(port), ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password, ADMIN_READONLY: 'true' }));
    await waitForOutput(readOnlyApi, 'api listening');
  });
  afterAll(async () => {
    readOnlyApi.kill();
    await readOnlyApi.exited;
    await stack.close();
  });

  it('ADMIN_READONLY=true: the order page has no forms and every action is refused', async () => {
    const page = await fetch(`${url}/admin/orders/${sessionId}`, { headers: auth });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('Read-only: actions are off');
    expect(body).not.toMatch(/<form[^>]*method="post"/);
    expect(body).not.toContain('value="refund"');
    // The same order on the writable desk (the stack's api) has them, the refund's too: the difference is the variable.
    const writable = await (await fetch(`${stack.apiUrl}/admin/orders/${sessionId}`, { headers: auth })).text();
    expect(writable).toContain('<form method="post"');
    expect(writable).toMatch(/<form class="refund" method="post"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="action" value="refund">/);
    const json = (await (await fetch(`${url}/admin/orders/${sessionId}`, { headers: { ...auth, accept: 'application/json' } })).json()) as { csrf?: string };
    expect(json.csrf).toBeUndefined();
    // Even with a token the writable desk issued for this user (they share the secret): refused, nothing done.
    const token = ((await (await fetch(`${stack.apiUrl}/admin/orders/${sessionId}`, { headers: { ...auth, accept: 'application/json' } })).json()) as { csrf: string }).csrf;
    const post = await fetch(`${url}/admin/orders/${sessionId}/actions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, action: 'resend_receipt' }).toString(),
    });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ error: 'read_only' });
    const refund = await fetch(`${url}/admin/orders/${sessionId}/actions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, action: 'refund', scope: 'whole' }).toString(),
    });
    expect(refund.status).toBe(403);
    expect(stack.emulator.refunds.list({ account: undefined, paymentIntent: undefined, charge: undefined, created: undefined })).toHaveLength(0);
    const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from order_history where session_id = ${sessionId} and kind = 'action'`;
    expect(row?.n).toBe(0);
  });

  it('CLI: order prints the story; fulfill, resend-receipt and effects skip are told with the OS user', async () => {
    const env = stack.env();
    const shown = await runCli(['order', sessionId], env);
    expect(shown.code).toBe(0);
    const order = JSON.parse(shown.stdout) as { timeline: { detail: { kind: string } }[]; effects: { id: string; kind: string; status: string }[] };
    expect(order.timeline.map((e) => e.detail.kind)).toContain('commit');
    expect((await runCli(['fulfill', sessionId], env)).code).toBe(0);
    expect((await runCli(['resend-receipt', sessionId], env)).code).toBe(0);
    const resent = await waitFor(async () => {
      const rows = await stack.db.sql<{ id: string }[]>`select id::text from fulfillment_effects where session_id = ${sessionId} and scope like 'resend-%'`;
      return rows[0];
    }, 'the resent receipt');
    const skip = await runCli(['effects', 'skip', resent.id], env);
    // Pending, or already skipped by the dispatcher (no SMTP here: the email kind is off): either way it is told.
    expect(skip.code === 0 || skip.stderr.includes('neither pending nor dead')).toBe(true);
    const after = JSON.parse((await runCli(['order', sessionId], env)).stdout) as { timeline: { actor: string | null; detail: { kind: string; action?: string; via?: string; trigger?: string } }[] };
    const actions = after.timeline.filter((e) => e.detail.kind === 'action');
    expect(actions.map((e) => [e.detail.action, e.detail.via])).toEqual([
      ['rerun', 'cli'],
      ['resend_receipt', 'cli'],
      ['skip_effect', 'cli'],
    ]);
    for (const a of actions) expect(a.actor).toMatch(/\S/);
    expect(after.timeline.some((e) => e.detail.kind === 'run' && e.detail.trigger === 'cli')).toBe(true);
  });

  it('ORDER_HISTORY_DAYS: the worker prunes older entries through its scheduled job; a bad value stops the start', async () => {
    const old = 'cs_test_prunedOld00000000000000000000000000000000000000000000000';
    const kept = 'cs_test_prunedKept0000000000000000000000000000000000000000000000';
    await stack.db.sql`
      insert into order_history (session_id, at, kind, detail) values
        (${old}, now() - interval '40 days', 'action', '{"kind":"action","action":"rerun","result":"queued","via":"cli"}'),
        (${kept}, now() - interval '20 days', 'action', '{"kind":"action","action":"rerun","result":"queued","via":"cli"}')`;
    // The stack's own worker scheduled the prune (90 days) and ran its first job at start; drop that schedule so
    // that this process's start schedules anew, and its first job runs at once with its own ORDER_HISTORY_DAYS.
    const queue = createHistoryQueue(stack.producer);
    await queue.removeJobScheduler(PRUNE_JOB);
    await queue.close();
    const worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info', ORDER_HISTORY_DAYS: '30' }));
    try {
      await waitForOutput(worker, 'worker started');
      // Its schedule's first job runs at once, in whichever worker takes it (this process or the stack's own),
      // with the days this process was started with: 40 days old goes, 20 stays.
      const left = await waitFor(async () => {
        const rows = await stack.db.sql<{ session_id: string }[]>`select session_id from order_history where session_id in (${old}, ${kept})`;
        return rows.length === 1 ? rows : undefined;
      }, 'the prune');
      expect(left.map((r) => r.session_id)).toEqual([kept]);
    } finally {
      worker.kill();
      await worker.exited;
    }
    const bad = startProcess('src/entry/worker.ts', stack.env({ ORDER_HISTORY_DAYS: '0' }));
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('ORDER_HISTORY_DAYS');
  });
});
